# ctest python_installed_plugin: cmake --install the python component into PREFIX, then run
# TEST with PREFIX/SITE as the only extra path and without -p: pytest must load the plugin
# from the dist-info's pytest11 entry point.
file(REMOVE_RECURSE ${PREFIX})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${PREFIX} --component python
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install --component python failed (${rc})")
endif()
get_filename_component(dir ${TEST} DIRECTORY)
execute_process(COMMAND ${CMAKE_COMMAND} -E env PYTHONPATH=${PREFIX}/${SITE} NT35E_SIM=${SIM} PYTHONDONTWRITEBYTECODE=1
                        ${PYTHON} -m pytest -p no:cacheprovider -v -rA --nt35e-time-scale 0.1 ${TEST}
                WORKING_DIRECTORY ${PREFIX} RESULT_VARIABLE rc TIMEOUT 100)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "pytest on the installed package failed (${rc})")
endif()
