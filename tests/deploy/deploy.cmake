# The Kubernetes manifests of deploy/kubernetes, checked offline (tests/deploy/kubernetes_test.py):
#   kubernetes_manifests_schema  rendered (the test's renderer, and kubectl kustomize v5 where
#                                installed), every object checked against the Kubernetes 1.36
#                                API with npm packages installed into the build tree (not the
#                                repository); needs node, npm and the npm registry
#   kubernetes_manifests_run     the StatefulSet's command run as pod 2 with the real binary
# Debian's python3 with python3-yaml. Included from tests/CMakeLists.txt.
add_test(NAME kubernetes_manifests_schema
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/kubernetes_test.py
                 --manifests ${PROJECT_SOURCE_DIR}/deploy/kubernetes --work ${CMAKE_BINARY_DIR}/k8s-schema schema)
set_tests_properties(kubernetes_manifests_schema PROPERTIES LABELS deploy TIMEOUT 900)
add_test(NAME kubernetes_manifests_run
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/kubernetes_test.py
                 --manifests ${PROJECT_SOURCE_DIR}/deploy/kubernetes --work ${CMAKE_BINARY_DIR}/k8s-run
                 --sim $<TARGET_FILE:nt35e-sim> --ctl ${PROJECT_SOURCE_DIR}/tools/nt35e-ctl run)
set_tests_properties(kubernetes_manifests_run PROPERTIES LABELS deploy TIMEOUT 120)
