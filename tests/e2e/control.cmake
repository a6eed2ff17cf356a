# The runtime control channel (--control) and its CLI (tools/nt35e-ctl) end to end,
# plus --scenario / --check-scenario / --time-scale on the real binary. Included from
# e2e.cmake after CMakeLists.part.txt (which defines nt35e_test_sim_process).

nt35e_add_test(nt35e_control_e2e_tests e2e ${CMAKE_CURRENT_LIST_DIR}/control_e2e_test.cpp)
target_link_libraries(nt35e_control_e2e_tests PRIVATE nt35e_test_sim_process nlohmann_json::nlohmann_json)

# A test script in Python (standard library only) drives a fault through the CLI while
# a DTE holds the simulator's PTY.
find_package(Python3 COMPONENTS Interpreter QUIET)
if(Python3_Interpreter_FOUND)
  add_test(NAME control_cli_python
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/control_cli_test.py
                   --sim $<TARGET_FILE:nt35e-sim> --ctl ${PROJECT_SOURCE_DIR}/tools/nt35e-ctl)
  set_tests_properties(control_cli_python PROPERTIES LABELS e2e TIMEOUT 120)
else()
  message(WARNING "python3 not found: the control_cli_python test is not registered")
endif()
