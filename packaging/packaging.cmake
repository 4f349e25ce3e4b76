# packaging/packaging.cmake: CPack Debian packages of the programs, included
# from the top-level CMakeLists.txt after every program's directory.
#
# Two packages, one component each: cairn-appliance (cairn-appliance,
# cairnctl, /etc/cairn/appliance.toml, the appliance and first-boot units)
# and cairn-agent (cairn-agent, /etc/cairn/agent.toml, its unit). The areas'
# own install() rules stay component-less ("Unspecified", what a plain
# `cmake --install` uses); the rules here name the programs again with a
# component, so packaging needs no edit in the areas' files, and only these
# two components are packed.
#
# Version: the project version plus CAIRN_BUILD_NUMBER as the Debian
# revision (0.1.0-7). An upgrade test makes "previous" and "next" packages of
# the same binaries with `cpack -D CPACK_DEBIAN_PACKAGE_RELEASE=N`.

if(NOT TARGET cairn-appliance OR NOT TARGET cairnctl OR NOT TARGET cairn-agent)
  return()
endif()

set(CAIRN_BUILD_NUMBER 1 CACHE STRING "Debian revision of the packages (the N of VERSION-N)")
set(cairn_pkg ${CMAKE_CURRENT_LIST_DIR})

install(TARGETS cairn-appliance cairnctl RUNTIME DESTINATION bin COMPONENT cairn-appliance)
install(TARGETS cairn-agent RUNTIME DESTINATION bin COMPONENT cairn-agent)
# Absolute destinations: /etc and /lib are outside the /usr prefix. The
# conffiles control file makes dpkg keep an admin's edits on upgrade.
install(FILES ${CMAKE_SOURCE_DIR}/configs/appliance.toml DESTINATION /etc/cairn
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ COMPONENT cairn-appliance)
install(FILES ${CMAKE_SOURCE_DIR}/configs/agent.toml DESTINATION /etc/cairn
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ COMPONENT cairn-agent)
install(FILES ${cairn_pkg}/systemd/cairn-appliance.service ${cairn_pkg}/systemd/cairn-firstboot.service
        DESTINATION /lib/systemd/system COMPONENT cairn-appliance)
install(FILES ${cairn_pkg}/systemd/cairn-agent.service
        DESTINATION /lib/systemd/system COMPONENT cairn-agent)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME cairn)
set(CPACK_PACKAGE_VENDOR "Cairn")
set(CPACK_PACKAGE_CONTACT "Cairn maintainers <cairn@localhost>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_OUTPUT_FILE_PREFIX ${CMAKE_BINARY_DIR}/packages)
set(CPACK_COMPONENTS_ALL cairn-appliance cairn-agent)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_PACKAGE_RELEASE ${CAIRN_BUILD_NUMBER})
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
# dpkg-shlibdeps computes the library dependencies (libssl3, libsqlite3, ...).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# Component names are the package names (not cairn-cairn-appliance).
set(CPACK_DEBIAN_CAIRN-APPLIANCE_PACKAGE_NAME cairn-appliance)
set(CPACK_DEBIAN_CAIRN-AGENT_PACKAGE_NAME cairn-agent)
# adduser: postinst creates the cairn system user.
set(CPACK_DEBIAN_CAIRN-APPLIANCE_PACKAGE_DEPENDS "adduser")
set(CPACK_COMPONENT_CAIRN-APPLIANCE_DESCRIPTION
    "Cairn backup appliance for Kubernetes\n The appliance daemon (mTLS ingest for agents, TLS admin API), cairnctl,\n hardened systemd units and a first-boot unit that initialises the store.")
set(CPACK_COMPONENT_CAIRN-AGENT_DESCRIPTION
    "Cairn backup agent for Kubernetes\n Backs up a cluster's API objects and its node's volumes to a Cairn appliance.")
foreach(pkg cairn-appliance cairn-agent)
  string(TOUPPER ${pkg} up)
  set(CPACK_DEBIAN_${up}_PACKAGE_CONTROL_EXTRA
      "${cairn_pkg}/debian/${pkg}/conffiles;${cairn_pkg}/debian/${pkg}/postinst;${cairn_pkg}/debian/${pkg}/prerm;${cairn_pkg}/debian/${pkg}/postrm")
endforeach()

include(CPack)
