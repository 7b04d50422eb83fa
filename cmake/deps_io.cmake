# deps_io.cmake — DCMTK (dcmdata + dcmrt) for the DICOM adapter in src/io/dcmtk/ (Debian
# libdcmtk-dev). Found by library name: Debian's dcmtk.pc requires sndfile and DCMTKConfig.cmake
# drags in every DCMTK module, so neither is used.
find_path(RERT_DCMTK_INCLUDE dcmtk/dcmdata/dctk.h REQUIRED)
# dcmjpeg/dcmjpls (+ their IJG/CharLS parts) decode JPEG Lossless and JPEG-LS images.
foreach(_l dcmrt dcmjpeg dcmjpls ijg8 ijg12 ijg16 dcmimage dcmimgle dcmdata oflog ofstd)
  find_library(RERT_DCMTK_${_l} NAMES ${_l} REQUIRED)
  list(APPEND RERT_DCMTK_LIBS ${RERT_DCMTK_${_l}})
endforeach()
target_include_directories(rertlib SYSTEM PRIVATE ${RERT_DCMTK_INCLUDE})
target_link_libraries(rertlib PUBLIC ${RERT_DCMTK_LIBS})



# libFuzzer targets for every reader (-DRERT_FUZZ=ON, clang): tests/fuzz/fuzz_*.c, each run for a
# bounded time under the CTest label "fuzz" (excluded from CI).
if(RERT_FUZZ AND EXISTS ${CMAKE_SOURCE_DIR}/tests/fuzz/CMakeLists.txt)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang" OR NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "RERT_FUZZ needs clang: CC=clang CXX=clang++ cmake -DRERT_FUZZ=ON ...")
  endif()
  # coverage instrumentation + sanitizers for the library the targets exercise
  target_compile_options(rertlib PRIVATE -fsanitize=fuzzer-no-link,address,undefined)
  target_link_options(rertlib INTERFACE -fsanitize=address,undefined)
  enable_testing() # this file is included before the top-level enable_testing()
  add_subdirectory(${CMAKE_SOURCE_DIR}/tests/fuzz ${CMAKE_BINARY_DIR}/fuzz)
endif()
