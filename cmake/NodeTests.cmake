# Node-based tests run from a copy of their sources in the build folder, so
# `npm ci` writes node_modules there and a checkout stays clean after a test
# run. Relative paths between the copied folders are kept (a test in
# tests/compat that imports ../../sdk/js/... finds it in the copy too).
#
#   cable_node_stage(NAME compat
#     DIRS tests/compat tests/support sdk/js   # copied, relative to the repo
#     NPM_DIRS tests/compat)                   # `npm ci` runs in each copy
#
# defines the ctest fixture `<NAME>_node_stage` (copy, then npm ci from the
# lockfile) and sets CABLE_NODE_STAGE_<NAME> to the copy's root. Tests that
# run Node add `FIXTURES_REQUIRED <NAME>_node_stage` and use a
# WORKING_DIRECTORY under that root.
find_program(NPM_EXECUTABLE npm REQUIRED)
find_program(NODE_EXECUTABLE node REQUIRED)

function(cable_node_stage)
  cmake_parse_arguments(ARG "" "NAME" "DIRS;NPM_DIRS" ${ARGN})
  set(root ${PROJECT_BINARY_DIR}/node-stage/${ARG_NAME})
  set(CABLE_NODE_STAGE_${ARG_NAME} ${root} PARENT_SCOPE)
  set(dirs)
  foreach(d IN LISTS ARG_DIRS)
    list(APPEND dirs ${d})
  endforeach()
  add_test(NAME ${ARG_NAME}_node_copy
    COMMAND ${CMAKE_COMMAND} -DSRC=${PROJECT_SOURCE_DIR} -DDST=${root}
            "-DDIRS=${dirs}" -P ${PROJECT_SOURCE_DIR}/cmake/stage_copy.cmake)
  set_tests_properties(${ARG_NAME}_node_copy PROPERTIES
    FIXTURES_SETUP ${ARG_NAME}_node_stage TIMEOUT 60)
  foreach(d IN LISTS ARG_NPM_DIRS)
    string(MAKE_C_IDENTIFIER ${d} id)
    add_test(NAME ${ARG_NAME}_npm_ci_${id}
      COMMAND ${NPM_EXECUTABLE} ci --no-audit --no-fund
      WORKING_DIRECTORY ${root}/${d})
    set_tests_properties(${ARG_NAME}_npm_ci_${id} PROPERTIES
      FIXTURES_SETUP ${ARG_NAME}_node_stage
      DEPENDS ${ARG_NAME}_node_copy
      TIMEOUT 300)
  endforeach()
endfunction()
