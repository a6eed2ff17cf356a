# The embeddable simulator (docs/ci.md): libnt35e-sim.so.0 (nt35e::sim), the GoogleTest
# fixture (nt35e::gtest, header only) and the CMake package that exports both, so that
# find_package(nt35e-sim CONFIG) works from an installed prefix (cmake --install, the .deb).
# Included from simulator/CMakeLists.txt, after the layers it links.

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# A shared library with private dependencies: the layers (static, compiled as PIE, which
# --exclude-libs makes local to the .so), Boost, Paho and nlohmann stay inside it. Only the
# functions the header marks NT35E_SDK_API are exported.
add_library(nt35e_sim SHARED ${CMAKE_CURRENT_LIST_DIR}/sim.cpp ${CMAKE_CURRENT_LIST_DIR}/sim.hpp)
add_library(nt35e::sim ALIAS nt35e_sim)
set_target_properties(nt35e_sim PROPERTIES
  OUTPUT_NAME nt35e-sim
  VERSION ${PROJECT_VERSION}
  SOVERSION ${PROJECT_VERSION_MAJOR}
  EXPORT_NAME sim
  CXX_VISIBILITY_PRESET hidden
  VISIBILITY_INLINES_HIDDEN ON)
nt35e_publish_headers(nt35e_sim sdk/sim.hpp)
target_include_directories(nt35e_sim INTERFACE $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}/nt35e-sim>)
target_compile_features(nt35e_sim INTERFACE cxx_std_17)
target_compile_definitions(nt35e_sim PRIVATE NT35E_VERSION="${PROJECT_VERSION}")
target_link_libraries(nt35e_sim PRIVATE nt35e_options nt35e_fleet nt35e_control nt35e_metrics nt35e_trace nt35e_io
  nt35e_scripted nt35e_paho nt35e_scenario nt35e_core nlohmann_json::nlohmann_json Boost::headers Threads::Threads)
target_link_options(nt35e_sim PRIVATE -Wl,--exclude-libs,ALL)
if(NOT NT35E_SANITIZE AND NOT NT35E_FUZZ)
  # Every symbol resolved at link time (the sanitizers' runtimes come with the program instead).
  target_link_options(nt35e_sim PRIVATE -Wl,--no-undefined)
endif()
set_property(GLOBAL APPEND PROPERTY NT35E_LAYERS nt35e_sim)

# The fixture: a header on top of nt35e::sim and GoogleTest.
find_package(GTest QUIET)
set(_nt35e_sdk_targets nt35e_sim)
if(GTest_FOUND)
  add_library(nt35e_gtest INTERFACE)
  add_library(nt35e::gtest ALIAS nt35e_gtest)
  set_target_properties(nt35e_gtest PROPERTIES EXPORT_NAME gtest)
  set(_nt35e_gtest_root ${CMAKE_BINARY_DIR}/layers/nt35e_gtest)
  file(MAKE_DIRECTORY ${_nt35e_gtest_root}/sdk)
  file(CREATE_LINK ${CMAKE_CURRENT_LIST_DIR}/gtest.hpp ${_nt35e_gtest_root}/sdk/gtest.hpp SYMBOLIC)
  target_include_directories(nt35e_gtest INTERFACE $<BUILD_INTERFACE:${_nt35e_gtest_root}>)
  target_link_libraries(nt35e_gtest INTERFACE nt35e_sim GTest::gtest)
  set_property(GLOBAL APPEND PROPERTY NT35E_LAYERS nt35e_gtest)
  list(APPEND _nt35e_sdk_targets nt35e_gtest)
endif()

# Installed: ${CMAKE_INSTALL_LIBDIR}/libnt35e-sim.so.0 (+ the .so link; LIBDIR is lib, or lib/<multiarch>
# under /usr), include/nt35e-sim/sdk/*.hpp,
# ${CMAKE_INSTALL_LIBDIR}/cmake/nt35e-sim/ (config, version, targets).
set(_nt35e_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/nt35e-sim)
install(TARGETS ${_nt35e_sdk_targets} EXPORT nt35e-simTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT sdk NAMELINK_COMPONENT sdk)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/sim.hpp ${CMAKE_CURRENT_LIST_DIR}/gtest.hpp
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/nt35e-sim/sdk COMPONENT sdk)
install(EXPORT nt35e-simTargets NAMESPACE nt35e:: DESTINATION ${_nt35e_cmake_dir} COMPONENT sdk)
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/nt35e-simConfig.cmake.in
  ${CMAKE_BINARY_DIR}/sdk/nt35e-simConfig.cmake INSTALL_DESTINATION ${_nt35e_cmake_dir})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/sdk/nt35e-simConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_BINARY_DIR}/sdk/nt35e-simConfig.cmake ${CMAKE_BINARY_DIR}/sdk/nt35e-simConfigVersion.cmake
  DESTINATION ${_nt35e_cmake_dir} COMPONENT sdk)
