# deps_register.cmake — ITK 5.2 (Debian libinsighttoolkit5-dev) for the thin C++ adapter in
# src/register/itk/: the L-BFGS optimiser (VNL) that drives the built-in B-spline registration,
# ITK's diffeomorphic demons (`rert register --engine itk`) and the signed Maurer distance map of
# the contour QA. Only the modules used are requested; ITK_USE_FILE is not included (it would
# register every ImageIO factory in the whole build).
file(GLOB _rert_itk_sources ${CMAKE_SOURCE_DIR}/src/register/itk/*.cpp)
if(RERT_FUZZ)
  # The libFuzzer configuration is built with clang, which Debian's ITK 5.2 headers refuse
  # ("Unsupported compiler"): the adapter is replaced by reg_itk_unavailable.c there (the fuzz
  # targets read files; none registers images).
  set_source_files_properties(${_rert_itk_sources} PROPERTIES HEADER_FILE_ONLY ON)
  target_sources(rertlib PRIVATE ${CMAKE_SOURCE_DIR}/src/register/itk/reg_itk_unavailable.c)
  return()
endif()
find_package(ITK 5.2 REQUIRED COMPONENTS ITKCommon ITKVNL ITKVNLInstantiation ITKPDEDeformableRegistration
             ITKDistanceMap ITKImageGrid ITKDisplacementField ITKSmoothing)
target_include_directories(rertlib SYSTEM PRIVATE ${ITK_INCLUDE_DIRS})
target_link_libraries(rertlib PUBLIC ${ITK_LIBRARIES})
# Under RERT_SANITIZE: ITK 5.2's scanline filters (BinaryContourImageFilter inside the signed
# Maurer distance map) build a neighbourhood iterator over a deliberately unallocated helper image
# to compute offsets (itkScanlineFilterCommon.h SetupLineOffsets), which UBSan reports as "applying
# non-zero offset to null pointer" in ITK's own header code. That check is disabled for the ITK
# adapter's translation units only; every other check (and ASan) stays on there.
if(RERT_SANITIZE)
  set_source_files_properties(${_rert_itk_sources} PROPERTIES COMPILE_OPTIONS "-fno-sanitize=pointer-overflow")
endif()
