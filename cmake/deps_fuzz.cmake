# deps_fuzz.cmake — libFuzzer targets (-DRERT_FUZZ=ON, clang; tests/fuzz/CMakeLists.txt): every
# DICOM reader, the case file, MetaImage and NIfTI. `cmake --build DIR --target fuzz_targets`
# builds them; CTest label "fuzz_smoke" runs each for a few seconds (scripts/test.sh, CI), label
# "fuzz" for a minute each (by hand). The library is instrumented for coverage and sanitizers.
if(RERT_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang" OR NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "RERT_FUZZ needs clang: CC=clang CXX=clang++ cmake -DRERT_FUZZ=ON ...")
  endif()
  target_compile_options(rertlib PRIVATE -fsanitize=fuzzer-no-link,address,undefined)
  target_link_options(rertlib INTERFACE -fsanitize=address,undefined)
  enable_testing() # deps files are included before the top-level enable_testing()
  add_subdirectory(${CMAKE_SOURCE_DIR}/tests/fuzz ${CMAKE_BINARY_DIR}/fuzz)
endif()
