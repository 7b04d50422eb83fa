# Browser tests of report.html's interactive review (tests/browser; CTest label "browser"):
# node, the npm packages pinned in tests/browser/package-lock.json (scripts/test.sh runs
# `npm ci`) and Debian's chromium. browser_setup writes the small synthetic patient and its
# consult once (CTest fixture); browser_engine checks the what-if engine under node,
# browser_viewer drives the page in headless chromium. Screenshots go to
# <build>/browser-artefacts. Not registered in the sanitizer build: the C code they run is
# covered there by test_consult, and the JavaScript does not change with the C flags.
if(NOT RERT_SANITIZE)
  find_program(RERT_NODE node)
  set(_rert_bw ${CMAKE_CURRENT_SOURCE_DIR}/browser)
  set(_rert_bw_env "RERT_BIN=$<TARGET_FILE:rert>" "RERT_SOURCE_DIR=${CMAKE_SOURCE_DIR}"
      "RERT_DATA_DIR=${CMAKE_SOURCE_DIR}/data" "RERT_BROWSER_WORK=${CMAKE_BINARY_DIR}/browser-work"
      "RERT_BROWSER_ARTEFACTS=${CMAKE_BINARY_DIR}/browser-artefacts")
  if(RERT_NODE)
    add_test(NAME browser_setup COMMAND ${RERT_NODE} ${_rert_bw}/setup.js)
    set_tests_properties(browser_setup PROPERTIES FIXTURES_SETUP browser_case LABELS "browser" TIMEOUT 900
                         ENVIRONMENT "${_rert_bw_env}")
    foreach(t engine viewer)
      add_test(NAME browser_${t} COMMAND ${RERT_NODE} --test ${_rert_bw}/${t}.test.js)
      set_tests_properties(browser_${t} PROPERTIES FIXTURES_REQUIRED browser_case LABELS "browser" TIMEOUT 1800
                           ENVIRONMENT "${_rert_bw_env}")
    endforeach()
  else()
    # CI must run them: without node the missing test is a failure, not a silent skip
    add_test(NAME browser_viewer COMMAND ${CMAKE_COMMAND} -E false)
    set_tests_properties(browser_viewer PROPERTIES LABELS "browser")
    message(WARNING "node not found: the browser tests (label browser) will fail; run scripts/install-deps.sh")
  endif()
endif()
