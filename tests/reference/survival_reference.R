# survival_reference.R — reference values for tests/test_survival.c (R survival + cmprsk).
# Run from the repository root: Rscript tests/reference/survival_reference.R
# The printed numbers are pasted as literals into tests/test_survival.c; tests never need R.
library(survival); library(cmprsk)
options(digits = 12)
cat("R:", R.version.string, " survival", format(packageVersion("survival")),
    " cmprsk", format(packageVersion("cmprsk")), "\n")
aml <- read.csv("tests/data/aml.csv"); lung <- read.csv("tests/data/lung.csv")

cat("\n## aml log-rank\n"); print(survdiff(Surv(time, status) ~ x, data = aml)$chisq)
cat("\n## lung log-rank by sex\n"); print(survdiff(Surv(time, status) ~ sex, data = lung)$chisq)
cat("\n## lung log-rank by ph.ecog (k groups)\n")
sd <- survdiff(Surv(time, status) ~ ph.ecog, data = lung); print(sd$chisq); print(sd$obs); print(sd$exp)

cat("\n## aml Cox\n")
for (t in c("efron", "breslow")) {
  f <- coxph(Surv(time, status) ~ x, data = aml, ties = t)
  cat(t, "coef", coef(f), "se", sqrt(vcov(f)), "\n")
  s <- summary(f); cat("  LR", s$logtest[1], "Wald", s$waldtest[1], "score", s$sctest[1], "\n")
  cat("  loglik", f$loglik, "\n")
}
f <- coxph(Surv(time, status) ~ x, data = aml, control = coxph.control(eps = 1e-14, iter.max = 100))
cat("efron tight coef", coef(f), "\n")
cat("\n## lung Cox age + sex (efron)\n")
f <- coxph(Surv(time, status) ~ age + sex, data = lung)
print(coef(f)); print(sqrt(diag(vcov(f)))); s <- summary(f)
cat("LR", s$logtest[1], "Wald", s$waldtest[1], "score", s$sctest[1], "\n")

cat("\n## lung KM (default conf.type = log)\n")
k <- survfit(Surv(time, status) ~ 1, data = lung); print(summary(k)$table)
sk <- summary(k, times = c(100, 200, 365, 500))
print(cbind(sk$time, sk$n.risk, sk$surv, sk$std.err, sk$lower, sk$upper))
cat("\n## lung KM log-log\n")
k2 <- survfit(Surv(time, status) ~ 1, data = lung, conf.type = "log-log"); print(summary(k2)$table)
sk <- summary(k2, times = c(100, 200, 365, 500)); print(cbind(sk$time, sk$lower, sk$upper))
cat("\n## aml KM by group (log)\n"); print(summary(survfit(Surv(time, status) ~ x, data = aml))$table)

cat("\n## reference §10.11 KM vector\n")
d <- data.frame(t = c(2,3,4,4,5,6,8,9,10,12), e = c(1,0,1,1,0,1,0,1,0,1))
k <- survfit(Surv(t, e) ~ 1, data = d); print(cbind(k$time, k$surv, k$std.err, k$lower, k$upper))
print(summary(k)$table)

cat("\n## CIF (§10.11 vector)\n")
ct <- c(1,2,3,4,5,6,7,8); cs <- c(1,2,0,1,2,1,0,2)
ci <- cuminc(ct, cs); print(timepoints(ci, c(1,2,4,5,6,8)))

cat("\n## CIF + Gray test on tests/data/crr.csv\n")
cr <- read.csv("tests/data/crr.csv")
ci <- cuminc(cr$time, cr$status, cr$group)
print(ci$Tests)
print(timepoints(ci, c(5, 10, 20)))
ci3 <- cuminc(cr$time, cr$status, cr$group3)
print(ci3$Tests)
cat("\n## Gray test with rho (weight (1 - F(t-))^rho) on tests/data/crr.csv\n")
print(cuminc(cr$time, cr$status, cr$group, rho = 1)$Tests)
print(cuminc(cr$time, cr$status, cr$group, rho = -0.5)$Tests)
print(cuminc(cr$time, cr$status, cr$group3, rho = 2)$Tests)
cat("\n## KM table with censor-only rows (survfit fields, aml Maintained)\n")
km <- survfit(Surv(time, status) ~ 1, data = aml[aml$x == "Maintained", ])
print(data.frame(time = km$time, n.risk = km$n.risk, n.event = km$n.event, n.censor = km$n.censor,
                 surv = km$surv, std.err = km$std.err))
# tests/data/crr.csv was generated once with:
# set.seed(20261123); n <- 60
# group <- rep(c("A","B"), each = n/2); group3 <- rep(c("X","Y","Z"), times = n/3)
# t1 <- rexp(n, ifelse(group=="A", 0.05, 0.09)); t2 <- rexp(n, 0.04); cen <- runif(n, 5, 40)
# tt <- pmin(t1, t2, cen); st <- ifelse(tt == cen, 0, ifelse(tt == t1, 1, 2)); tt <- round(tt, 1)
# write.csv(data.frame(time = tt, status = st, group = group, group3 = group3), ...)
cat("\n## lung Cox fully converged (eps = 1e-14)\n")
f <- coxph(Surv(time, status) ~ age + sex, data = lung,
           control = coxph.control(eps = 1e-14, toler.chol = 1e-15, iter.max = 100))
print(coef(f))
cat("\n## lung Cox with ph.ecog as a factor (efron, breslow)\n")
for (t in c("efron", "breslow")) {
  f <- coxph(Surv(time, status) ~ factor(ph.ecog), data = lung, ties = t,
             control = coxph.control(eps = 1e-14, toler.chol = 1e-15, iter.max = 100))
  print(coef(f)); print(sqrt(diag(vcov(f)))); s <- summary(f)
  cat("LR", s$logtest[1], "Wald", s$waldtest[1], "score", s$sctest[1], "\n")
}
cat("\n## lung KM plain CI and by sex\n")
k <- survfit(Surv(time, status) ~ 1, data = lung, conf.type = "plain"); print(summary(k)$table)
sk <- summary(k, times = c(365)); print(c(sk$lower, sk$upper))
print(summary(survfit(Surv(time, status) ~ sex, data = lung))$table)
