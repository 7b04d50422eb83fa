# export_data.R — writes the R `survival` example data sets used by rert's tests as CSV.
# Run: Rscript tests/reference/export_data.R  (from the repository root; needs r-cran-survival)
# aml (Miller 1981) and lung (Loprinzi 1994) ship with R survival (LGPL-2 | LGPL-3 / GPL).
library(survival)
a <- survival::aml
write.csv(data.frame(time = a$time, status = a$status, x = as.character(a$x)),
          "tests/data/aml.csv", row.names = FALSE, quote = FALSE)
l <- survival::lung
write.csv(l, "tests/data/lung.csv", row.names = FALSE, quote = FALSE, na = "")
