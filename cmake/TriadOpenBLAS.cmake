# Locates OpenBLAS inside the org.bytedeco:openblas linux-x86_64 jar, which Maven unpacks
# (maven-dependency-plugin) before CMake runs; TRIAD_OPENBLAS_DIR is that jar's platform folder
# (org/bytedeco/openblas/linux-x86_64, holding include/ and libopenblas.so.0). Linking to the same
# libopenblas.so.0 that JavaCPP loads at run time means a fresh machine needs nothing from apt.
# Defines the imported target triad::openblas.
set(TRIAD_OPENBLAS_DIR "" CACHE PATH "unpacked org/bytedeco/openblas/linux-x86_64 folder")
if(NOT TRIAD_OPENBLAS_DIR OR NOT EXISTS "${TRIAD_OPENBLAS_DIR}/include/cblas.h")
  message(FATAL_ERROR "OpenBLAS not found: set TRIAD_OPENBLAS_DIR to the unpacked "
                      "org/bytedeco/openblas/linux-x86_64 folder of the openblas jar "
                      "(Maven does this; got '${TRIAD_OPENBLAS_DIR}')")
endif()
add_library(triad::openblas SHARED IMPORTED)
set_target_properties(triad::openblas PROPERTIES
  IMPORTED_LOCATION "${TRIAD_OPENBLAS_DIR}/libopenblas.so.0"
  IMPORTED_NO_SONAME OFF
  INTERFACE_INCLUDE_DIRECTORIES "${TRIAD_OPENBLAS_DIR}/include")
message(STATUS "OpenBLAS: ${TRIAD_OPENBLAS_DIR}")
