# End-to-end tests: the real binary over a real PTY/TCP line, real mosquitto brokers.
include(${CMAKE_CURRENT_LIST_DIR}/CMakeLists.part.txt)
include(${CMAKE_CURRENT_LIST_DIR}/CMakeLists.part.paho.txt)

if(TARGET nt35e_test_mosquitto)
  nt35e_add_test(nt35e_ecmt_live_e2e_tests e2e ${CMAKE_CURRENT_LIST_DIR}/ecmt_live_e2e_test.cpp)
  target_link_libraries(nt35e_ecmt_live_e2e_tests PRIVATE nt35e_test_sim_process nt35e_test_mosquitto)
endif()

nt35e_add_test(nt35e_conformance_e2e_tests e2e ${CMAKE_CURRENT_LIST_DIR}/conformance_e2e_test.cpp)
target_link_libraries(nt35e_conformance_e2e_tests PRIVATE nt35e_test_sim_process)
include(${CMAKE_CURRENT_LIST_DIR}/control.cmake)

if(TARGET nt35e_scenario)
  nt35e_add_test(nt35e_scenario_library_e2e_tests e2e ${CMAKE_CURRENT_LIST_DIR}/scenario_library_e2e_test.cpp)
  target_link_libraries(nt35e_scenario_library_e2e_tests PRIVATE nt35e_test_sim_process)
  target_compile_definitions(nt35e_scenario_library_e2e_tests PRIVATE NT35E_SCENARIOS_DIR="${PROJECT_SOURCE_DIR}/scenarios")
endif()
include(${CMAKE_CURRENT_LIST_DIR}/fleet.cmake)

nt35e_add_test(nt35e_trace_e2e_tests e2e ${CMAKE_CURRENT_LIST_DIR}/trace_e2e_test.cpp)
target_link_libraries(nt35e_trace_e2e_tests PRIVATE nt35e_test_sim_process)
target_compile_definitions(nt35e_trace_e2e_tests PRIVATE NT35E_TEST_DATA_DIR="${PROJECT_SOURCE_DIR}/tests/data")
