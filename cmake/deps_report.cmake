# report module: cairo + pango for the PDF, SVG plots and PNG slices; nettle for SHA-256.
pkg_check_modules(RERT_REPORT_DEPS REQUIRED IMPORTED_TARGET cairo pangocairo nettle)
target_link_libraries(rertlib PUBLIC PkgConfig::RERT_REPORT_DEPS)
# report viewer (report.html's slice viewer, DVH and what-if panels): zlib compresses the voxel
# arrays; the JavaScript and CSS in src/report/viewer/ are compiled in as strings.
find_package(ZLIB REQUIRED)
target_link_libraries(rertlib PUBLIC ZLIB::ZLIB)
set(RERT_VIEWER_DIR ${CMAKE_SOURCE_DIR}/src/report/viewer)
set(RERT_VIEWER_JS ${RERT_VIEWER_DIR}/engine.js ${RERT_VIEWER_DIR}/viewer.js)
set(RERT_VIEWER_CSS ${RERT_VIEWER_DIR}/viewer.css)
set(RERT_VIEWER_GEN ${CMAKE_BINARY_DIR}/generated/report_viewer_assets.c)
string(REPLACE ";" "|" _rert_js_group "${RERT_VIEWER_JS}")
add_custom_command(OUTPUT ${RERT_VIEWER_GEN}
  COMMAND ${CMAKE_COMMAND} -DOUT=${RERT_VIEWER_GEN} "-DFUNCS=report_viewer_js,report_viewer_css"
          "-DFILES=${_rert_js_group},${RERT_VIEWER_CSS}" -P ${CMAKE_SOURCE_DIR}/cmake/embed_text.cmake
  DEPENDS ${RERT_VIEWER_JS} ${RERT_VIEWER_CSS} ${CMAKE_SOURCE_DIR}/cmake/embed_text.cmake
  COMMENT "Embedding the report viewer's JavaScript and CSS" VERBATIM)
target_sources(rertlib PRIVATE ${RERT_VIEWER_GEN})
