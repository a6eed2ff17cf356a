# Man pages generated from --help by help2man, under <build>/man/: nt35e-sim.1 and, for
# its subcommands, nt35e-sim-import.1 and nt35e-sim-report.1 (as `man git-log`), and
# nt35e-ctl.1 and nt35e-reduce.1 for tools/nt35e-ctl and tools/nt35e-reduce. Each page is
# the help text plus the sections of its .h2m file here; beside each, the page.1.gz that
# cmake/packaging.cmake installs. The target `man` is part of `all` when help2man is found;
# without it, building `man` says what to install.
# Included from simulator/CMakeLists.txt after the nt35e-sim target.

find_program(NT35E_HELP2MAN help2man)
set(_nt35e_man_dir ${PROJECT_BINARY_DIR}/man)
set(_nt35e_man_src ${CMAKE_CURRENT_LIST_DIR})

if(NT35E_HELP2MAN)
  file(GLOB _nt35e_py_sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/python/nt35e/*.py)
  set(_nt35e_pages)
  # page | help2man's NAME line | the arguments before --help | the program (empty:
  # nt35e-sim). The version string names the page (help2man takes the program's name
  # from it); `nt35e-sim --version` itself is checked by the e2e tests.
  foreach(spec IN ITEMS
      "nt35e-sim|a virtual Lierda NT35E cellular module (AT commands, MQTT)||"
      "nt35e-sim-import|turn a customer's serial log into an nt35e-sim trace or scenario|import |"
      "nt35e-sim-report|one self-contained HTML page from an nt35e-sim trace|report |"
      "nt35e-ctl|drive a running nt35e-sim through its control channel||${PROJECT_SOURCE_DIR}/tools/nt35e-ctl"
      "nt35e-reduce|shrink a scenario that makes a driver fail to the smallest one that still does||${PROJECT_SOURCE_DIR}/tools/nt35e-reduce")
    string(REPLACE "|" ";" fields "${spec}")
    list(GET fields 0 page)
    list(GET fields 1 name)
    list(GET fields 2 prefix)
    list(GET fields 3 program)
    # The Python tools' help text is in the package (python/nt35e/*.py).
    set(program_dep ${program} ${_nt35e_py_sources})
    if(NOT program)
      set(program $<TARGET_FILE:nt35e-sim>)
      set(program_dep nt35e-sim)
    endif()
    add_custom_command(
      OUTPUT ${_nt35e_man_dir}/${page}.1 ${_nt35e_man_dir}/${page}.1.gz
      COMMAND ${CMAKE_COMMAND} -E make_directory ${_nt35e_man_dir}
      COMMAND ${NT35E_HELP2MAN} --no-info --section=1 "--manual=nt35e-sim manual" "--name=${name}"
              "--help-option=${prefix}--help" "--version-string=${page} ${PROJECT_VERSION}"
              --include=${_nt35e_man_src}/${page}.h2m --output=${_nt35e_man_dir}/${page}.1
              ${program}
      COMMAND gzip -9nkf ${_nt35e_man_dir}/${page}.1
      DEPENDS ${program_dep} ${_nt35e_man_src}/${page}.h2m
      COMMENT "help2man: man/${page}.1"
      VERBATIM)
    list(APPEND _nt35e_pages ${_nt35e_man_dir}/${page}.1)
  endforeach()
  add_custom_target(man ALL DEPENDS ${_nt35e_pages})
else()
  add_custom_target(man
    COMMAND ${CMAKE_COMMAND} -E echo "man: help2man was not found; install it (apt-get install help2man, or bash tools/install-deps.sh) and configure again"
    COMMAND ${CMAKE_COMMAND} -E false
    VERBATIM)
endif()

unset(_nt35e_man_dir)
unset(_nt35e_man_src)
