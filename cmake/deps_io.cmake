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
