# deps_register.cmake — ITK 5.2 (Debian libinsighttoolkit5-dev) for the thin C++ adapter in
# src/register/itk/: the L-BFGS optimiser (VNL) that drives the built-in B-spline registration,
# ITK's diffeomorphic demons (`rert register --engine itk`) and the signed Maurer distance map of
# the contour QA. Only the modules used are requested; ITK_USE_FILE is not included (it would
# register every ImageIO factory in the whole build).
find_package(ITK 5.2 REQUIRED COMPONENTS ITKCommon ITKVNL ITKVNLInstantiation ITKPDEDeformableRegistration
             ITKDistanceMap ITKImageGrid ITKDisplacementField ITKSmoothing)
target_include_directories(rertlib SYSTEM PRIVATE ${ITK_INCLUDE_DIRS})
target_link_libraries(rertlib PUBLIC ${ITK_LIBRARIES})
