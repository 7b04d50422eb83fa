# doseresp_reference.R — reference values for tests/test_doseresp.c (R 4.2.2, base stats only).
# Run: Rscript tests/reference/doseresp_reference.R > tests/reference/doseresp_reference.out
# Writes tests/data/doseresp.csv (simulated with a recorded seed) and prints, for the logistic
# and probit links, the glm MLE, log-likelihood, and profile-likelihood 95 % limits of beta,
# alpha and TD50 = -alpha/beta, each profile computed by refitting glm with an offset and
# solving 2 (l_hat - l_p) = qchisq(0.95, 1) with uniroot (tol 1e-12).
set.seed(20261118)
n <- 60
x <- round(runif(n, 50, 110), 2)
p <- 1 / (1 + exp(4 * 2 * (1 - x / 80)))
y <- rbinom(n, 1, p)
d <- data.frame(x = x, y = y)
args <- commandArgs(trailingOnly = FALSE)
write.csv(d, "tests/data/doseresp.csv", row.names = FALSE, quote = FALSE)
q <- qchisq(0.95, 1)
for (lk in c("logit", "probit")) {
  fam <- binomial(link = lk)
  ctl <- glm.control(epsilon = 1e-14, maxit = 100)
  f <- glm(y ~ x, family = fam, data = d, control = ctl)
  a <- unname(coef(f)[1]); b <- unname(coef(f)[2]); l <- as.numeric(logLik(f))
  prof_b <- function(bb) as.numeric(logLik(glm(y ~ 1, offset = bb * x, family = fam, data = d, control = ctl)))
  prof_a <- function(aa) as.numeric(logLik(glm(y ~ 0 + x, offset = rep(aa, n), family = fam, data = d, control = ctl)))
  prof_t <- function(t) as.numeric(logLik(glm(y ~ 0 + I(x - t), family = fam, data = d, control = ctl)))
  g <- function(pf) function(v) 2 * (l - pf(v)) - q
  se <- sqrt(diag(vcov(f)))
  root <- function(pf, lo, hi) uniroot(g(pf), c(lo, hi), tol = 1e-12)$root
  bl <- root(prof_b, b - 6 * se[2], b); bh <- root(prof_b, b, b + 6 * se[2])
  al <- root(prof_a, a - 6 * se[1], a); ah <- root(prof_a, a, a + 6 * se[1])
  t <- -a / b
  tl <- root(prof_t, t - 40, t); th <- root(prof_t, t, t + 40)
  cat(sprintf("%s alpha %.12f beta %.12f loglik %.12f se_alpha %.12f se_beta %.12f\n", lk, a, b, l, se[1], se[2]))
  cat(sprintf("%s beta_ci %.10f %.10f alpha_ci %.10f %.10f td50 %.10f td50_ci %.10f %.10f\n", lk, bl, bh, al, ah, t, tl, th))
  f0 <- glm(y ~ 1, family = fam, data = d)
  cat(sprintf("%s loglik0 %.12f\n", lk, as.numeric(logLik(f0))))
}
