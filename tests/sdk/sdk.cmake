# The embeddable library (simulator/sdk/): its API over a real line, and the installed
# package used by examples/cpp-driver. Included from tests/CMakeLists.txt.

# The public header only: links nt35e::sim as a consumer does (and a real mosquitto for --live).
add_executable(nt35e_sdk_tests ${CMAKE_CURRENT_LIST_DIR}/sdk_test.cpp)
target_link_libraries(nt35e_sdk_tests PRIVATE nt35e::sim nt35e_test_mosquitto GTest::gtest GTest::gtest_main)
target_compile_definitions(nt35e_sdk_tests PRIVATE NT35E_SIM_BINARY="$<TARGET_FILE:nt35e-sim>"
  NT35E_EXPECTED_VERSION="${PROJECT_VERSION}")
add_dependencies(nt35e_sdk_tests nt35e-sim)
gtest_discover_tests(nt35e_sdk_tests PROPERTIES LABELS e2e TIMEOUT 60 DISCOVERY_TIMEOUT 30)

# cmake --install into a temp prefix, then examples/cpp-driver configured, built and run
# against it (its own project; find_package(nt35e-sim CONFIG)); then its deliberately
# failing test, whose output and XML must carry the transcript and the report path.
set(_nt35e_install_work ${CMAKE_BINARY_DIR}/sdk-install)
add_test(NAME sdk_install_example
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/install_example_test.sh ${CMAKE_BINARY_DIR} ${PROJECT_SOURCE_DIR}
          ${_nt35e_install_work})
set_tests_properties(sdk_install_example PROPERTIES LABELS install TIMEOUT 900 FIXTURES_SETUP sdk_installed)
add_test(NAME sdk_example_failure_attaches_transcript
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/failure_test.sh ${_nt35e_install_work})
set_tests_properties(sdk_example_failure_attaches_transcript PROPERTIES LABELS install TIMEOUT 120
  FIXTURES_REQUIRED sdk_installed)

# The fixture's SetUp fails with the simulator's sentence when the modem cannot start.
add_executable(nt35e_sdk_fixture_probe ${CMAKE_CURRENT_LIST_DIR}/fixture_probe.cpp)
target_link_libraries(nt35e_sdk_fixture_probe PRIVATE nt35e::gtest GTest::gtest_main)
add_test(NAME sdk_fixture_setup_failure COMMAND nt35e_sdk_fixture_probe)
set_tests_properties(sdk_fixture_setup_failure PROPERTIES LABELS e2e TIMEOUT 60
  PASS_REGULAR_EXPRESSION "the virtual modem did not start: --profile: there is no built-in profile \"nt99\"; use nt35e or ec616s.*\\[  FAILED  \\] unknown_profile.NeverRuns"
  FAIL_REGULAR_EXPRESSION "the body ran")
