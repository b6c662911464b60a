# cmake -DSRC=<repo> -DDST=<copy root> -DDIRS=<a;b;...> -P stage_copy.cmake
# Copies each folder (relative to SRC) to the same place under DST, without
# node_modules or build output, replacing what an earlier run copied (a
# node_modules already in DST is kept so that `npm ci` can reuse its cache).
foreach(d IN LISTS DIRS)
  if(NOT IS_DIRECTORY "${SRC}/${d}")
    message(FATAL_ERROR "stage_copy: ${SRC}/${d} is not a folder")
  endif()
  file(GLOB_RECURSE files RELATIVE "${SRC}/${d}" "${SRC}/${d}/*")
  list(FILTER files EXCLUDE REGEX "(^|/)(node_modules|dist|__pycache__)/")
  foreach(f IN LISTS files)
    get_filename_component(sub "${DST}/${d}/${f}" DIRECTORY)
    file(COPY "${SRC}/${d}/${f}" DESTINATION "${sub}")
  endforeach()
endforeach()
