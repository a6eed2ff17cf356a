# Fleet mode (--fleet N, issue 6) end to end: N modems in one nt35e-sim process on TCP
# ports and PTY links, fleet events and metrics through the control channel, and the
# option checks. Included from e2e.cmake after CMakeLists.part.txt (which defines
# nt35e_test_sim_process).

nt35e_add_test(nt35e_fleet_e2e_tests e2e ${CMAKE_CURRENT_LIST_DIR}/fleet_e2e_test.cpp)
target_link_libraries(nt35e_fleet_e2e_tests PRIVATE nt35e_test_sim_process nlohmann_json::nlohmann_json Threads::Threads)

# The fleet's line metrics (latency histograms, the line observer) as unit tests. They
# live in unit/fleet/, outside the unit/*.cpp glob, because they need nt35e_metrics.
if(TARGET nt35e_metrics)
  nt35e_add_test(nt35e_fleet_metrics_tests unit ${CMAKE_CURRENT_LIST_DIR}/../unit/fleet/line_metrics_test.cpp)
  target_link_libraries(nt35e_fleet_metrics_tests PRIVATE nt35e_metrics)
endif()

# The scenario's fleet events played on fake modems (fleet/fleet_events); they need nt35e_fleet.
if(TARGET nt35e_fleet)
  nt35e_add_test(nt35e_fleet_events_tests unit ${CMAKE_CURRENT_LIST_DIR}/../unit/fleet/fleet_events_test.cpp)
  target_link_libraries(nt35e_fleet_events_tests PRIVATE nt35e_fleet)
endif()
