# imageio: NIfTI-1 through the Debian niftilib (libnifti2-dev provides libniftiio + libznz).
find_path(NIFTI_INCLUDE_DIR nifti1_io.h PATH_SUFFIXES nifti REQUIRED)
find_library(NIFTIIO_LIB niftiio REQUIRED)
find_library(ZNZ_LIB znz REQUIRED)
find_package(ZLIB REQUIRED)
target_include_directories(rertlib PUBLIC ${NIFTI_INCLUDE_DIR})
target_link_libraries(rertlib PUBLIC ${NIFTIIO_LIB} ${ZNZ_LIB} ZLIB::ZLIB)
