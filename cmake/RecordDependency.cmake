# cable_record_imported(VAR TARGET): writes where an imported target's file
# is into the cache as a FILEPATH, so scripts/check-deps (ctest
# deps_installed_by_script) can tell which Debian package it comes from.
# find_package(... CONFIG) records only the config folder; the files of the
# targets we use may come from other packages (the gRPC plugin, GMock).
function(cable_record_imported var target)
  foreach(prop IMPORTED_LOCATION IMPORTED_LOCATION_NOCONFIG IMPORTED_LOCATION_RELEASE
               IMPORTED_LOCATION_RELWITHDEBINFO IMPORTED_LOCATION_NONE)
    get_target_property(location ${target} ${prop})
    if(location)
      set(${var} ${location} CACHE FILEPATH "File of ${target} (for check-deps)" FORCE)
      return()
    endif()
  endforeach()
  message(FATAL_ERROR "cable_record_imported: ${target} has no imported location")
endfunction()
