# `cmake --install` puts Cable's libraries, public headers (one
# include/cable/ tree), the public .proto and CableConfig.cmake under the
# prefix; apps then use find_package(Cable CONFIG REQUIRED).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(CABLE_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/Cable)
install(TARGETS ${CABLE_EXPORTED_TARGETS} EXPORT CableTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/sdk/include/ ${PROJECT_SOURCE_DIR}/service/include/
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.h")
foreach(proto IN LISTS CABLE_PROTOS)
  get_filename_component(dir ${proto} DIRECTORY)
  string(REGEX REPLACE "\\.proto$" "" stem ${proto})
  install(FILES ${PROJECT_BINARY_DIR}/proto/gen/${stem}.pb.h
                ${PROJECT_BINARY_DIR}/proto/gen/${stem}.grpc.pb.h
          DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/${dir})
endforeach()
install(FILES ${PROJECT_SOURCE_DIR}/proto/cable/v1/publisher.proto
  DESTINATION ${CMAKE_INSTALL_DATADIR}/cable/proto/cable/v1)
install(EXPORT CableTargets NAMESPACE Cable:: DESTINATION ${CABLE_INSTALL_CMAKEDIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/CableConfig.cmake.in
  ${PROJECT_BINARY_DIR}/CableConfig.cmake INSTALL_DESTINATION ${CABLE_INSTALL_CMAKEDIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/CableConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/CableConfig.cmake
  ${PROJECT_BINARY_DIR}/CableConfigVersion.cmake DESTINATION ${CABLE_INSTALL_CMAKEDIR})
