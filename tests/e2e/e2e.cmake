# End-to-end tests: the real nt35e-sim binary started per test and driven over a real
# PTY, TCP or stdio line as a DTE would drive it; real mosquitto brokers on 127.0.0.1.
# Included from tests/CMakeLists.txt, after nt35e_add_test().
#
# Run-time needs in PATH: mosquitto, mosquitto_passwd, mosquitto_pub, mosquitto_sub, openssl
# (Debian: mosquitto mosquitto-clients openssl), python3 for control_cli_python and the
# real_client_* tests, and for those gammu, chat (/usr/sbin, Debian: ppp) and socat; promtool and
# prometheus (Debian: prometheus) for the metrics_* and prometheus_scrape tests.

set(_nt35e_tests_dir ${PROJECT_SOURCE_DIR}/tests)

# Starts the real binary (tests/support/sim_process); the tests run it, so it is built first.
add_library(nt35e_test_sim_process STATIC ${_nt35e_tests_dir}/support/sim_process.cpp)
target_include_directories(nt35e_test_sim_process PUBLIC ${_nt35e_tests_dir})
target_link_libraries(nt35e_test_sim_process PUBLIC nt35e_options)
target_compile_definitions(nt35e_test_sim_process PUBLIC NT35E_SIM_BINARY="$<TARGET_FILE:nt35e-sim>")
add_dependencies(nt35e_test_sim_process nt35e-sim)

# A real mosquitto per test on free loopback ports (tests/support/mosquitto_broker).
add_library(nt35e_test_mosquitto STATIC ${_nt35e_tests_dir}/support/mosquitto_broker.cpp)
target_include_directories(nt35e_test_mosquitto PUBLIC ${_nt35e_tests_dir})
target_link_libraries(nt35e_test_mosquitto PUBLIC nt35e_options)

# nt35e_add_e2e_test(<name> [SERIAL] SOURCES <file>... [LIBS <target>...] [DEFINES <definition>...])
# One end-to-end test executable, labelled e2e; SOURCES are relative to tests/e2e/. SERIAL:
# its tests run alone under `ctest -j` (they measure the timing of reads on the line, which
# a busy machine blurs).
function(nt35e_add_e2e_test name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "SERIAL" "" "SOURCES;LIBS;DEFINES")
  list(TRANSFORM arg_SOURCES PREPEND ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/)
  if(arg_SERIAL)
    set(nt35e_test_properties RUN_SERIAL TRUE)
  endif()
  nt35e_add_test(${name} e2e ${arg_SOURCES})
  target_link_libraries(${name} PRIVATE ${arg_LIBS})
  target_compile_definitions(${name} PRIVATE ${arg_DEFINES})
endfunction()

# The real binary over its PTY, TCP and stdio lines.
nt35e_add_e2e_test(nt35e_transport_e2e_tests SOURCES transport_e2e_test.cpp LIBS nt35e_test_sim_process
                   DEFINES NT35E_EXPECTED_VERSION="${PROJECT_VERSION}")
# The Paho backend on its own against a real mosquitto (no simulator process).
nt35e_add_e2e_test(nt35e_paho_tests SOURCES paho_backend_test.cpp LIBS nt35e_paho nt35e_test_mosquitto)
# AT+ECMT... with --live against a real mosquitto.
nt35e_add_e2e_test(nt35e_ecmt_live_e2e_tests SOURCES ecmt_live_e2e_test.cpp
                   LIBS nt35e_test_sim_process nt35e_test_mosquitto)
# Spec appendix A cases on the default backend over a real PTY and TCP socket, byte for byte.
nt35e_add_e2e_test(nt35e_conformance_e2e_tests SOURCES conformance_e2e_test.cpp LIBS nt35e_test_sim_process)
# The runtime control channel (--control) and --scenario / --check-scenario / --time-scale.
nt35e_add_e2e_test(nt35e_control_e2e_tests SOURCES control_e2e_test.cpp
                   LIBS nt35e_test_sim_process nlohmann_json::nlohmann_json)
# Every scenario of the library played on the real binary.
nt35e_add_e2e_test(nt35e_scenario_library_e2e_tests SOURCES scenario_library_e2e_test.cpp
                   LIBS nt35e_test_sim_process DEFINES NT35E_SCENARIOS_DIR="${PROJECT_SOURCE_DIR}/scenarios")
# AT+ECPING's simulated echoes over a real PTY (scenarios/ping-lossy-host.json).
nt35e_add_e2e_test(nt35e_ping_e2e_tests SOURCES ping_e2e_test.cpp LIBS nt35e_test_sim_process
                   DEFINES NT35E_SCENARIOS_DIR="${PROJECT_SOURCE_DIR}/scenarios")
# Fleet mode (--fleet N): N modems in one process, fleet events and metrics, option checks.
nt35e_add_e2e_test(nt35e_fleet_e2e_tests SOURCES fleet_e2e_test.cpp
                   LIBS nt35e_test_sim_process nt35e_test_mosquitto nlohmann_json::nlohmann_json Threads::Threads)
# Secrets and files: no output of a session holds its password, device secret or control
# token (real mosquitto with a password file); a scenario or trace cannot choose where files go.
nt35e_add_e2e_test(nt35e_secrets_e2e_tests SOURCES secrets_e2e_test.cpp
                   LIBS nt35e_test_sim_process nt35e_test_mosquitto nlohmann_json::nlohmann_json)
# Traces: record, replay byte for byte, import a customer log, the report, explain mode.
nt35e_add_e2e_test(nt35e_trace_e2e_tests SOURCES trace_e2e_test.cpp LIBS nt35e_test_sim_process
                   DEFINES NT35E_TEST_DATA_DIR="${PROJECT_SOURCE_DIR}/tests/data")
# The inputs that broke the simulator (issue 13, tests/data/reliability/README.md), fed as a user would.
nt35e_add_e2e_test(nt35e_reliability_e2e_tests SOURCES reliability_e2e_test.cpp LIBS nt35e_test_sim_process
                   DEFINES NT35E_RELIABILITY_DIR="${PROJECT_SOURCE_DIR}/tests/data/reliability")

# The line as a UART: A.3's timing read with timestamps, --baud, --fragment and line noise.
nt35e_add_e2e_test(nt35e_uart_e2e_tests SERIAL SOURCES uart_e2e_test.cpp
                   LIBS nt35e_test_sim_process nlohmann_json::nlohmann_json)
# The control channel's CLI (tools/nt35e-ctl) driven by a Python script (standard library
# only) that injects a fault while a DTE holds the simulator's PTY.
find_package(Python3 COMPONENTS Interpreter QUIET)
if(Python3_Interpreter_FOUND)
  add_test(NAME control_cli_python
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/control_cli_test.py
                   --sim $<TARGET_FILE:nt35e-sim> --ctl ${PROJECT_SOURCE_DIR}/tools/nt35e-ctl)
  set_tests_properties(control_cli_python PROPERTIES LABELS e2e TIMEOUT 120)

  # Real third-party clients, unmodified, on the real binary's PTY (tests/e2e/real_clients_test.py):
  # gammu (Debian: gammu), ppp's chat (ppp) and a socat bridge to --tcp (socat).
  foreach(_case gammu-identify gammu-securitystatus gammu-networkinfo chat socat-bridge)
    string(REPLACE "-" "_" _name "real_client_${_case}")
    add_test(NAME ${_name} COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/real_clients_test.py
                                   --sim $<TARGET_FILE:nt35e-sim> ${_case})
    set_tests_properties(${_name} PROPERTIES LABELS e2e TIMEOUT 180)
  endforeach()
  add_test(NAME real_client_gammu_identify_ec616s
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/real_clients_test.py
                   --sim $<TARGET_FILE:nt35e-sim> --profile ec616s gammu-identify)
  set_tests_properties(real_client_gammu_identify_ec616s PROPERTIES LABELS e2e TIMEOUT 180)
  # One pcapng timeline (issue 17, part 1): --pcap live against a mosquitto with a password
  # file (a refusal, a broker killed and restarted), read back with Debian's tshark, and
  # report --pcap from the recorded trace giving the same packets. Part 2 (import): the
  # broker side captured on lo by dumpcap, imported as a scenario and played again.
  foreach(_case live_and_report import bad_output)
    add_test(NAME pcap_${_case}
             COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/pcap_e2e_test.py
                     --sim $<TARGET_FILE:nt35e-sim> ${_case})
    set_tests_properties(pcap_${_case} PROPERTIES LABELS e2e TIMEOUT 180)
  endforeach()
  # The oracle (issue 15): faulty and correct driver scripts on the real PTY, the JSON and
  # JUnit verdicts (read back with Debian's python3-junitparser, hence /usr/bin/python3),
  # and the same verdict from the recorded trace.
  add_test(NAME oracle_e2e
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/oracle_e2e_test.py
                   --sim $<TARGET_FILE:nt35e-sim> --scenarios ${PROJECT_SOURCE_DIR}/scenarios)
  set_tests_properties(oracle_e2e PROPERTIES LABELS e2e TIMEOUT 300)
  # Expectations in scenarios ("expect"): drivers meeting and breaking them, the shipped
  # scenarios' met by a correct driver, the verdict's entries and exit status, live and from the trace.
  add_test(NAME oracle_expect
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/oracle_e2e_test.py
                   --sim $<TARGET_FILE:nt35e-sim> --scenarios ${PROJECT_SOURCE_DIR}/scenarios expect)
  set_tests_properties(oracle_expect PROPERTIES LABELS e2e TIMEOUT 300)
  # One faulty driver per remaining rule, each a test of its own so ctest -j runs them side
  # by side: exactly that finding, its severity and proving lines, and the exit status
  # under --verdict-fail-on (FAULTY in oracle_e2e_test.py).
  foreach(_case overlap lowercase malformed pause multi_action open_unregistered urc_pending gave_up_early
                no_recovery retry_storm limits inflight reboot_loop)
    add_test(NAME oracle_faulty_${_case}
             COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/oracle_e2e_test.py
                     --sim $<TARGET_FILE:nt35e-sim> --scenarios ${PROJECT_SOURCE_DIR}/scenarios ${_case})
    set_tests_properties(oracle_faulty_${_case} PROPERTIES LABELS e2e TIMEOUT 60)
  endforeach()
  # nt35e-reduce (reduce_e2e_test.py): a ten-minute scenario that makes a buggy driver
  # (reduce_buggy_driver.py) crash, shrunk to its one event at --time-scale 0.005 (about 45 s;
  # SERIAL: its trials' timing wants the cores); and every bad input.
  add_test(NAME reduce_shrink_e2e
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/reduce_e2e_test.py --sim $<TARGET_FILE:nt35e-sim>
                   --reduce ${PROJECT_SOURCE_DIR}/tools/nt35e-reduce shrink)
  set_tests_properties(reduce_shrink_e2e PROPERTIES LABELS e2e TIMEOUT 240 RUN_SERIAL TRUE)
  # The oracle's finding as the criterion: a driver that never subscribes again, six
  # events, the link drop kept (about 30 s).
  add_test(NAME reduce_finding_e2e
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/reduce_e2e_test.py --sim $<TARGET_FILE:nt35e-sim>
                   --reduce ${PROJECT_SOURCE_DIR}/tools/nt35e-reduce finding)
  set_tests_properties(reduce_finding_e2e PROPERTIES LABELS e2e TIMEOUT 180 RUN_SERIAL TRUE)
  add_test(NAME reduce_bad_input_e2e
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/reduce_e2e_test.py --sim $<TARGET_FILE:nt35e-sim>
                   --reduce ${PROJECT_SOURCE_DIR}/tools/nt35e-reduce bad_input)
  set_tests_properties(reduce_bad_input_e2e PROPERTIES LABELS e2e TIMEOUT 120)
  # The verdict's other outputs (oracle_e2e_test.py explain|fleet|query): findings in the
  # --explain transcript as they happen, one suite per modem of a fleet, and the control
  # channel's "query": "verdict" through tools/nt35e-ctl.
  foreach(_case explain fleet query)
    add_test(NAME oracle_${_case}_e2e
             COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/oracle_e2e_test.py
                     --sim $<TARGET_FILE:nt35e-sim> --scenarios ${PROJECT_SOURCE_DIR}/scenarios
                     --ctl ${PROJECT_SOURCE_DIR}/tools/nt35e-ctl ${_case})
    set_tests_properties(oracle_${_case}_e2e PROPERTIES LABELS e2e TIMEOUT 120)
  endforeach()

  # Fleet-wide control (nt35e-ctl fleet-fire): 4 fleet processes as the pods of a StatefulSet,
  # one real mosquitto, a share of the whole fleet dropped and reconnected; the error reports.
  foreach(_case drop errors)
    add_test(NAME fleet_control_${_case}
             COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/fleet_control_test.py --sim $<TARGET_FILE:nt35e-sim>
                     --ctl ${PROJECT_SOURCE_DIR}/tools/nt35e-ctl --python ${PROJECT_SOURCE_DIR}/python ${_case})
    set_tests_properties(fleet_control_${_case} PROPERTIES LABELS e2e TIMEOUT 180)
  endforeach()

  # Hostile peers (docs/reliability.md): a DTE, a broker (tests/support/hostile_broker.py)
  # and control clients that misbehave; the simulator stays up, bounded, and says so once.
  foreach(_case dte_flood dte_no_cr dte_nul dte_never_reads dte_never_reads_qos1 dte_flood_tcp dte_no_cr_tcp dte_never_reads_tcp
                broker_bad_length broker_bad_type broker_bad_utf8
                broker_huge_declared broker_huge_sent broker_publish_half broker_close broker_connack_wrong_type
                broker_connack_half broker_puback_hold control_garbage control_connections control_stall control_stall_token
                stderr_never_read stderr_never_read_exit)
    add_test(NAME hostile_${_case} COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/hostile_peers_test.py
                                          --sim $<TARGET_FILE:nt35e-sim> ${_case})
    set_tests_properties(hostile_${_case} PROPERTIES LABELS e2e TIMEOUT 60)
  endforeach()

  # The Prometheus endpoint (--metrics, docs/metrics.md): scrapes checked by promtool, bad
  # and slow clients, the token rule, the Grafana dashboard's queries (Debian: prometheus);
  # and a real Prometheus scraping two simulators, queried through its HTTP API.
  foreach(_case scrape fleet bad slow connections token dashboard)
    add_test(NAME metrics_${_case} COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/metrics_e2e_test.py
                                          --sim $<TARGET_FILE:nt35e-sim> ${_case})
    set_tests_properties(metrics_${_case} PROPERTIES LABELS e2e TIMEOUT 60)
  endforeach()
  add_test(NAME prometheus_scrape COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/prometheus_scrape_test.py
                                          --sim $<TARGET_FILE:nt35e-sim>)
  set_tests_properties(prometheus_scrape PROPERTIES LABELS e2e TIMEOUT 120)

  # The web view (--web, docs/web.md): its endpoint without a browser (messages, faults,
  # downloads, bad input, tokens, many and stalled viewers), then a real headless Chromium
  # (Debian: chromium chromium-driver python3-selenium), one at a time.
  foreach(_case flow bad token viewers lessons fleet)
    add_test(NAME web_endpoint_${_case} COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/web_endpoint_test.py
                                               --sim $<TARGET_FILE:nt35e-sim> ${_case})
    set_tests_properties(web_endpoint_${_case} PROPERTIES LABELS e2e TIMEOUT 60)
  endforeach()
  foreach(_case flow lesson fleet)
    add_test(NAME web_browser_${_case} COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/web_browser_test.py
                                              --sim $<TARGET_FILE:nt35e-sim> ${_case}
                                              --screenshot ${CMAKE_BINARY_DIR}/web-view-${_case}.png)
    set_tests_properties(web_browser_${_case} PROPERTIES LABELS "e2e;browser" TIMEOUT 120 RUN_SERIAL TRUE)
  endforeach()
else()
  message(WARNING "python3 not found: the control_cli_python and real_client_* tests are not registered")
endif()

unset(_nt35e_tests_dir)
