# cohort module (src/cohort): the registry is an embedded SQLite database (Debian libsqlite3-dev).
# Slurm (slurm-wlm) is not linked: the cluster engine runs sbatch, like a user would.
pkg_check_modules(RERT_COHORT_DEPS REQUIRED IMPORTED_TARGET sqlite3)
target_link_libraries(rertlib PUBLIC PkgConfig::RERT_COHORT_DEPS)
