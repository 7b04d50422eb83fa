# report module: cairo + pango for the PDF, SVG plots and PNG slices; nettle for SHA-256.
pkg_check_modules(RERT_REPORT_DEPS REQUIRED IMPORTED_TARGET cairo pangocairo nettle)
target_link_libraries(rertlib PUBLIC PkgConfig::RERT_REPORT_DEPS)
