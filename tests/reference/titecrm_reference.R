# titecrm_reference.R — TITE-CRM reference values for tests/test_titecrm.c.
# dfcrm is not packaged in Debian, so the model documented for dfcrm::titecrm (empiric:
# F = p^exp(b); logistic: F = logit^-1(3 + exp(b) x), x = logit(p) - 3; prior b ~ N(0, 1.34);
# likelihood prod F^y (1 - w F)^(1-y)) is integrated here independently with R's adaptive
# integrate() over (-Inf, Inf) at rel.tol 1e-13. Run: Rscript tests/reference/titecrm_reference.R
options(digits = 12)
post <- function(skel, level, y, w, model = "empiric", s2 = 1.34, a0 = 3) {
  x <- if (model == "empiric") skel else log(skel / (1 - skel)) - a0
  F <- function(b, xi) if (model == "empiric") xi^exp(b) else 1 / (1 + exp(-(a0 + exp(b) * xi)))
  lik <- function(b) sapply(b, function(bb) {
    p <- F(bb, x[level]); prod(p^y * (1 - w * p)^(1 - y)) * exp(-bb^2 / (2 * s2)) })
  i0 <- integrate(lik, -Inf, Inf, rel.tol = 1e-13)$value
  i1 <- integrate(function(b) b * lik(b), -Inf, Inf, rel.tol = 1e-13)$value
  i2 <- integrate(function(b) b^2 * lik(b), -Inf, Inf, rel.tol = 1e-13)$value
  m <- i1 / i0
  list(beta = m, var = i2 / i0 - m^2, ptox = F(m, x))
}
sk <- c(0.05, 0.10, 0.20, 0.30, 0.40, 0.50)
show <- function(name, r) cat(name, "beta", format(r$beta, digits = 12), "var",
  format(r$var, digits = 12), "\n  ptox", format(r$ptox, digits = 12), "\n")
show("10.8 A", post(sk, rep(2, 4), rep(0, 4), rep(1, 4)))
show("10.8 B", post(sk, c(2, 2, 2, 2, 3, 3), c(0, 0, 0, 0, 1, 0), c(1, 1, 1, 1, 1, 0.5)))
show("10.8 D", post(sk, rep(2, 4), c(1, 1, 0, 0), rep(1, 4)))
# dfcrm::titecrm help-page example (prior, target 0.2, 10 patients, tau = 180)
pr <- c(0.05, 0.10, 0.20, 0.35, 0.50, 0.70)
level <- c(3, 3, 3, 4, 4, 3, 2, 2, 2, 3); y <- c(0, 0, 1, 0, 1, 0, 0, 0, 0, 0)
u <- c(178, 181, 168, 181, 24, 181, 179, 102, 42, 3); w <- pmin(u / 180, 1); w[y == 1] <- 1
show("dfcrm example empiric", post(pr, level, y, w))
show("dfcrm example logistic", post(pr, level, y, w, model = "logistic"))
# S3 end-of-trial estimate: logistic regression of DLT on dose (GyE), R glm(binomial)
d <- c(rep(55, 6), rep(57.5, 6), rep(60, 8), rep(62.5, 5))
y <- c(0,0,0,0,0,1, 0,0,0,1,0,0, 0,1,0,0,1,0,0,1, 1,0,1,1,0)
# tight convergence: the default epsilon = 1e-8 stops ~3e-7 short in the intercept
f <- glm(y ~ d, family = binomial, control = glm.control(epsilon = 1e-15, maxit = 100))
options(digits = 14)
print(coef(f)); print(sqrt(diag(vcov(f)))); print(vcov(f)[1, 2]); print(logLik(f))
p <- predict(f, data.frame(d = 60), se.fit = TRUE)
print(c(plogis(p$fit), plogis(p$fit - qnorm(0.975) * p$se.fit), plogis(p$fit + qnorm(0.975) * p$se.fit)))
