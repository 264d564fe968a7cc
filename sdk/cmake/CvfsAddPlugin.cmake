# cvfs_add_plugin(<name> KIND <key-provider|device-backend|fs-maker|rollback-counter> SOURCES <files...>
#                 [DESTINATION <dir>] [COMPONENT <component>]
#                 [OUTPUT_DIRECTORY <dir>] [NO_INSTALL])
#
# Builds a cvfs plugin: a MODULE library named <prefix>-<name>.so (key-, device-,
# fs- or counter-), hidden visibility, the SDK's version script so that only
# cvfs_plugin_entry_v1@CVFS_PLUGIN_1 is exported, -z defs so a missing symbol
# fails the link, and an install rule into the plugin folder.
# The target is called cvfs-plugin-<name> (a rollback counter's cvfs-plugin-counter-<name>);
# link what it needs to it afterwards.
# OUTPUT_DIRECTORY overrides where the build puts the .so; NO_INSTALL leaves
# out the install rule (test fixtures).
include_guard(GLOBAL)

function(cvfs_add_plugin name)
  # Found from this file's folder at each call: a variable set when the file
  # is included would not reach sibling directories of the includer.
  set(_CVFS_SDK_MAP "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/../cvfs-plugin.map")
  if(NOT EXISTS "${_CVFS_SDK_MAP}")
    set(_CVFS_SDK_MAP "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/cvfs-plugin.map")
  endif()
  cmake_parse_arguments(P "NO_INSTALL" "KIND;DESTINATION;COMPONENT;OUTPUT_DIRECTORY" "SOURCES" ${ARGN})
  if(P_KIND STREQUAL "key-provider")
    set(prefix "key")
  elseif(P_KIND STREQUAL "device-backend")
    set(prefix "device")
  elseif(P_KIND STREQUAL "fs-maker")
    set(prefix "fs")
  elseif(P_KIND STREQUAL "rollback-counter")
    set(prefix "counter")
  else()
    message(FATAL_ERROR "cvfs_add_plugin(${name}): KIND must be key-provider, device-backend, fs-maker or rollback-counter")
  endif()
  if(NOT P_DESTINATION)
    if(DEFINED CVFS_PLUGINDIR)
      set(P_DESTINATION "${CVFS_PLUGINDIR}")
    else()
      set(P_DESTINATION "${CMAKE_INSTALL_LIBDIR}/cvfs/plugins")
    endif()
  endif()
  if(NOT P_COMPONENT)
    set(P_COMPONENT "plugin-${name}")
  endif()

  # A rollback counter may share its name with a key provider ("tpm"): its
  # target carries the kind.
  if(prefix STREQUAL "counter")
    set(target "cvfs-plugin-counter-${name}")
  else()
    set(target "cvfs-plugin-${name}")
  endif()
  add_library(${target} MODULE ${P_SOURCES})
  target_link_libraries(${target} PRIVATE cvfs::sdk)
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    OUTPUT_NAME "${prefix}-${name}"
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    LINK_DEPENDS "${_CVFS_SDK_MAP}")
  if(P_OUTPUT_DIRECTORY)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${P_OUTPUT_DIRECTORY}")
  elseif(DEFINED CVFS_BUILD_PLUGINDIR)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${CVFS_BUILD_PLUGINDIR}")
  endif()
  target_link_options(${target} PRIVATE
    "LINKER:--version-script=${_CVFS_SDK_MAP}" "LINKER:-z,defs")
  if(TARGET cvfs_plugins AND NOT P_NO_INSTALL)
    add_dependencies(cvfs_plugins ${target})  # in-tree: `cvfs_plugins` builds them all
  endif()
  if(NOT P_NO_INSTALL)
    install(TARGETS ${target} LIBRARY DESTINATION "${P_DESTINATION}" COMPONENT "${P_COMPONENT}")
  endif()
endfunction()
