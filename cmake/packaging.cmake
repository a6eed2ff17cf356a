# Install rules for the program, its tools, the scenario library, man pages and documents,
# and the CPack DEB package `nt35e-sim` (cpack -G DEB in the build directory; tools/deb-check.sh
# builds it and installs it into a clean Debian 12 root). The C++ library and the Python
# package install their own files (their CMake files); this file owns everything else.
# Included from the top CMakeLists.txt after simulator/ (the nt35e-sim and man targets).

include(GNUInstallDirs)

# Debian policy: directories 0755 (lintian: non-standard-dir-perm otherwise).
set(CMAKE_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
    OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)

set(_nt35e_pkg ${PROJECT_BINARY_DIR}/packaging)
set(_nt35e_src ${PROJECT_SOURCE_DIR})
set(NT35E_DEB_MAINTAINER "nt35e-sim developers <nt35e-sim@example.org>"
    CACHE STRING "Maintainer field of the .deb (Name <address>)")

# --- bin/: the program and the tools ---------------------------------------------------
install(TARGETS nt35e-sim RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# nt35e-import and nt35e-report run the nt35e-sim beside them when installed.
install(PROGRAMS ${_nt35e_src}/tools/nt35e-import ${_nt35e_src}/tools/nt35e-report
        DESTINATION ${CMAKE_INSTALL_BINDIR})
# nt35e-ctl and nt35e-reduce (Python) with Debian's interpreter path instead of
# /usr/bin/env (policy 10.4).
foreach(_tool IN ITEMS nt35e-ctl nt35e-reduce)
  file(READ ${_nt35e_src}/tools/${_tool} _nt35e_script)
  string(REGEX REPLACE "^#![^\n]*" "#!/usr/bin/python3" _nt35e_script "${_nt35e_script}")
  file(WRITE ${_nt35e_pkg}/${_tool} "${_nt35e_script}")
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${_nt35e_src}/tools/${_tool})
  install(PROGRAMS ${_nt35e_pkg}/${_tool} DESTINATION ${CMAKE_INSTALL_BINDIR})
endforeach()

# --- share/nt35e-sim/: the scenario library with its README and JSON Schema -----------
# The schema stays beside the scenarios: their "$schema" is "./scenario.schema.json".
install(DIRECTORY ${_nt35e_src}/scenarios/ DESTINATION ${CMAKE_INSTALL_DATADIR}/nt35e-sim/scenarios
        FILES_MATCHING PATTERN "*.json" PATTERN "README.md")

# --- share/nt35e-sim/webview/ and lessons/: the web view's page and its lessons (docs/web.md)
# nt35e-sim finds it beside its own prefix (BINDIR/../share/nt35e-sim/webview).
install(DIRECTORY ${_nt35e_src}/webview/ DESTINATION ${CMAKE_INSTALL_DATADIR}/nt35e-sim/webview
        FILES_MATCHING PATTERN "*.html" PATTERN "*.js" PATTERN "*.css")
install(DIRECTORY ${_nt35e_src}/lessons/ DESTINATION ${CMAKE_INSTALL_DATADIR}/nt35e-sim/lessons
        FILES_MATCHING PATTERN "*.json" PATTERN "README.md")

# --- share/doc/nt35e-sim/: README, conformance summary, copyright, changelog -----------
# The conformance summary is the specification's Appendix A (the cases the simulator is
# tested against), cut from the in-tree copy of the spec with a list of its cases first.
set(_nt35e_spec ${_nt35e_src}/tests/data/spec/nt35e-at-spec.md)
file(READ ${_nt35e_spec} _nt35e_spec_text)
string(FIND "${_nt35e_spec_text}" "## Appendix A." _nt35e_at)
string(SUBSTRING "${_nt35e_spec_text}" ${_nt35e_at} -1 _nt35e_appendix)
string(REGEX MATCHALL "\n\\*\\*A\\.[0-9]+ [^\n]*" _nt35e_cases "${_nt35e_appendix}")
set(_nt35e_summary "# nt35e-sim ${PROJECT_VERSION}: conformance summary\n\n"
    "The cases of the NT35E AT specification's Appendix A. Each one is checked by the\n"
    "simulator's test suite (tests/unit/conformance_*_test.cpp on the core,\n"
    "tests/e2e/conformance_e2e_test.cpp on the real binary).\n\n")
foreach(_case IN LISTS _nt35e_cases)
  string(REGEX REPLACE "^\n\\*\\*(A\\.[0-9]+) ([^*]*)\\*\\*(.*)" "- \\1 \\2\\3\n" _case "${_case}")
  string(APPEND _nt35e_summary "${_case}")
endforeach()
string(APPEND _nt35e_summary "\n---\n\n${_nt35e_appendix}")
file(WRITE ${_nt35e_pkg}/conformance.md "${_nt35e_summary}")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${_nt35e_spec})

set(NT35E_DEB_VERSION ${PROJECT_VERSION}-1)
configure_file(${_nt35e_src}/packaging/debian/changelog ${_nt35e_pkg}/changelog.Debian @ONLY)
# gzip -n: no name or time stamp inside, so the package is reproducible (lintian).
add_custom_command(OUTPUT ${_nt35e_pkg}/changelog.Debian.gz
  COMMAND gzip -9nkf ${_nt35e_pkg}/changelog.Debian
  DEPENDS ${_nt35e_pkg}/changelog.Debian VERBATIM)
add_custom_target(nt35e_changelog ALL DEPENDS ${_nt35e_pkg}/changelog.Debian.gz)
install(FILES ${_nt35e_src}/README.md ${_nt35e_pkg}/conformance.md ${_nt35e_src}/packaging/debian/copyright
              ${_nt35e_pkg}/changelog.Debian.gz
        DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/nt35e-sim)  # not DOCDIR: the project is nt35e_sim

# --- share/man/man1/: the pages of tools/man/man.cmake, compressed --------------------
if(NT35E_HELP2MAN)
  set(_nt35e_pages)
  foreach(_page IN ITEMS nt35e-sim nt35e-sim-import nt35e-sim-report nt35e-ctl nt35e-reduce)
    list(APPEND _nt35e_pages ${PROJECT_BINARY_DIR}/man/${_page}.1.gz)
  endforeach()
  install(FILES ${_nt35e_pages} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
  # The wrappers have the pages of the subcommands they run.
  foreach(_pair IN ITEMS "nt35e-import|nt35e-sim-import" "nt35e-report|nt35e-sim-report")
    string(REPLACE "|" ";" _pair "${_pair}")
    list(GET _pair 0 _alias)
    list(GET _pair 1 _page)
    file(CREATE_LINK ${_page}.1.gz ${_nt35e_pkg}/${_alias}.1.gz SYMBOLIC)
    install(FILES ${_nt35e_pkg}/${_alias}.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
  endforeach()
else()
  install(CODE "message(WARNING \"nt35e-sim: help2man was not found; no man pages installed\")")
endif()

# --- CPack: the Debian package ---------------------------------------------------------
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME nt35e-sim)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "nt35e-sim developers")
set(CPACK_PACKAGE_CONTACT "${NT35E_DEB_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "virtual Lierda NT35E cellular module for modem driver tests")
set(CPACK_PACKAGE_INSTALL_DIRECTORY nt35e-sim)
set(CPACK_RESOURCE_FILE_LICENSE ${_nt35e_src}/LICENSE)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # nt35e-sim_<version>-<release>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${NT35E_DEB_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The extended description (CPack puts the summary above it as the synopsis); "." is a blank line.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "nt35e-sim behaves like a Lierda NT35E CAT1 module on its UART: it answers AT
commands on a pseudo-terminal, a TCP socket or standard input, with the
module's framing, echo, error rendering and URC timing, and backs the
EigenComm AT+ECMT MQTT commands with a built-in offline broker or a real
MQTT connection.
.
The package holds the simulator, its control and trace tools (nt35e-ctl,
nt35e-import, nt35e-report, nt35e-reduce), a library of fault scenarios with their JSON
Schema, and the test harness kit for continuous integration of modem drivers.")
# Depends: the shared libraries of the real binaries (dpkg-shlibdeps), and python3 for
# nt35e-ctl and the Python package; the test frameworks the kit plugs into are optional.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# libnt35e-sim.so.0 (the C++ library, simulator/sdk/): a shlibs file for packages built
# against it (its ldconfig trigger is packaging/debian/triggers, below).
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")
set(CPACK_DEBIAN_PACKAGE_DEPENDS "python3")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "python3-serial")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "python3-pytest, mosquitto, mosquitto-clients, cmake, g++, libgtest-dev")
# py3compile / py3clean for the Python package, as dh_python3 would add them; the ldconfig
# trigger for the shared library.
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${_nt35e_src}/packaging/debian/postinst ${_nt35e_src}/packaging/debian/prerm
    ${_nt35e_src}/packaging/debian/postrm ${_nt35e_src}/packaging/debian/triggers)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)

unset(_nt35e_pkg)
unset(_nt35e_src)
