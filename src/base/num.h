/* num.h — command-line numbers, checked whole and for range. */
#ifndef TERN_BASE_NUM_H
#define TERN_BASE_NUM_H

/* Parse all of s as a number in [lo, hi] into *v. Returns 0 or EINVAL
 * (empty, trailing characters, overflow, out of range); *v is then
 * undefined. */
int num_parse(const char *s, double lo, double hi, double *v);

#endif
