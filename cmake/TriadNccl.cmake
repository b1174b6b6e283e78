# The NCCL communication plug-in (libtriad_nccl): built when nvcc's toolkit and nccl.h are found
# (NCCL_ROOT or NCCL_HOME, e.g. a pip wheel's nvidia/nccl folder, or the system's include path).
# NCCL is linked by the plug-in alone, so libtriad loads without it.
function(triad_add_nccl_plugin)
  find_path(TRIAD_NCCL_INCLUDE nccl.h
    HINTS ${NCCL_ROOT} $ENV{NCCL_ROOT} $ENV{NCCL_HOME} PATH_SUFFIXES include)
  find_library(TRIAD_NCCL_LIBRARY NAMES nccl libnccl.so.2
    HINTS ${NCCL_ROOT} $ENV{NCCL_ROOT} $ENV{NCCL_HOME} PATH_SUFFIXES lib lib64)
  find_package(CUDAToolkit QUIET)
  if(NOT TRIAD_NCCL_INCLUDE OR NOT TRIAD_NCCL_LIBRARY OR NOT CUDAToolkit_FOUND)
    message(STATUS "Triad: NCCL headers/library or the CUDA toolkit not found: libtriad_nccl not built")
    return()
  endif()
  add_library(triad_nccl SHARED "${CMAKE_CURRENT_SOURCE_DIR}/src/dist/nccl_plugin.cpp")
  target_include_directories(triad_nccl PRIVATE "${TRIAD_NCCL_INCLUDE}"
    "${CMAKE_CURRENT_SOURCE_DIR}/include" "${CMAKE_CURRENT_SOURCE_DIR}/src")
  target_link_libraries(triad_nccl PRIVATE "${TRIAD_NCCL_LIBRARY}" CUDA::cudart)
  set_target_properties(triad_nccl PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${TRIAD_OUTPUT_DIR}" NO_SONAME ON
    CXX_VISIBILITY_PRESET hidden)
  message(STATUS "Triad: NCCL plug-in libtriad_nccl (${TRIAD_NCCL_LIBRARY})")
endfunction()
