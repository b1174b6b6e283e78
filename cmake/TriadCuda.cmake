# The seam for the CUDA backend. When nvcc is found and native/src/cuda holds sources, they are
# compiled into libtriad and TRIAD_WITH_CUDA is defined; otherwise libtriad is CPU only and
# triad_cuda_unavailable_reason() says why. TRIAD_CUDA=OFF forces a CPU-only build.
# Machine code for sm_80 (Ampere) and sm_90a (Hopper, arch-specific features) plus compute_80 PTX
# for newer GPUs; the CUDA runtime is linked statically, so users need only the driver.
# -lineinfo keeps source lines for compute-sanitizer and ncu; --compress-mode=size shrinks the
# embedded device code about 4x (libtriad travels in the jar and to the GPU machine).
option(TRIAD_CUDA "build the CUDA backend when nvcc is available" ON)
set(TRIAD_CUDA_ARCHITECTURES "80-real;90a-real;80-virtual" CACHE STRING
    "CUDA_ARCHITECTURES of libtriad's kernels (e.g. 90a-real alone for a quick Hopper-only build)")

# A macro, not a function: enable_language must run at file scope.
macro(triad_add_cuda_backend target)
  unset(reason)
  set(src_dir "${CMAKE_CURRENT_SOURCE_DIR}/src/cuda")
  file(GLOB cuda_sources CONFIGURE_DEPENDS "${src_dir}/*.cu")
  if(NOT TRIAD_CUDA)
    set(reason "this libtriad was built with TRIAD_CUDA=OFF")
  elseif(NOT cuda_sources)
    set(reason "this libtriad has no CUDA backend yet (native/src/cuda is empty)")
  else()
    include(CheckLanguage)
    check_language(CUDA)
    if(NOT CMAKE_CUDA_COMPILER)
      set(reason "nvcc was not found when this libtriad was built")
    endif()
  endif()
  if(reason)
    message(STATUS "CUDA backend: off (${reason})")
    target_compile_definitions(${target} PRIVATE "TRIAD_NO_CUDA_REASON=\"${reason}\"")
  else()
    set(CMAKE_CUDA_STANDARD 17)
    set(CMAKE_CUDA_STANDARD_REQUIRED ON)
    enable_language(CUDA)
    find_package(CUDAToolkit REQUIRED)
    target_sources(${target} PRIVATE ${cuda_sources})
    set_target_properties(${target} PROPERTIES
      CUDA_ARCHITECTURES "${TRIAD_CUDA_ARCHITECTURES}"
      CUDA_RUNTIME_LIBRARY Static)
    target_compile_definitions(${target} PRIVATE TRIAD_WITH_CUDA=1)
    # the host side of matmul_sm90.cu may pick the Hopper kernel only where its sm_90a code exists
    if(TRIAD_CUDA_ARCHITECTURES MATCHES "90a")
      target_compile_definitions(${target} PRIVATE TRIAD_CUDA_SM90A=1)
    endif()
    # the API layer (host C++) includes no CUDA header; the kernels see nvtx3 and CCCL
    target_include_directories(${target} PRIVATE ${CUDAToolkit_INCLUDE_DIRS})
    target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CUDA>:
      -O3 --extended-lambda --expt-relaxed-constexpr -lineinfo --compress-mode=size -Xcompiler=-fPIC
      -Xcompiler=-Wall -Xcompiler=-Wno-unused-parameter -Xcompiler=-Wno-sign-compare>)
    target_link_libraries(${target} PRIVATE CUDA::cudart_static ${CMAKE_DL_LIBS} rt Threads::Threads)
    message(STATUS "CUDA backend: on (${CMAKE_CUDA_COMPILER}, ${TRIAD_CUDA_ARCHITECTURES})")
  endif()
endmacro()
