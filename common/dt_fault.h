/* dt_fault.h - named fault points for tests: crash or fail at a chosen place, the Nth time.
 *
 * Built in only with -DDTASK_FAULTS (the CMake option DTASK_FAULTS, or the
 * test program dtask-master-faults); otherwise every macro below compiles
 * to nothing and no fault code exists in the program.
 *
 * At start the environment variable DTASK_FAULT=POINT[:N] arms one point:
 * the Nth time (default 1) the program reaches POINT, it fires. A crash
 * point then kills the process with SIGKILL, as `kill -9` would (no atexit,
 * no flush, no commit), once what it sent before the point has had time to
 * leave it; a failure point makes the operation it guards return an error. Every other point, and
 * every other reach, does nothing. docs/TESTING.md lists the points and what each proves.
 */
#ifndef DT_FAULT_H
#define DT_FAULT_H

#ifdef DTASK_FAULTS

/* Longest point name, with a few letters to spare: the names are fixed in
 * the code ("master-after-dispatch"); a longer one is a typo in a test. */
#define DT_FAULT_POINT_MAX 64

/* Parses `spec` ("POINT" or "POINT:N", N in 1..2^32-1) into `point` (at
 * least DT_FAULT_POINT_MAX + 1 bytes) and *nth. Returns 0, or -1 when it is
 * malformed or names no point the code has (outputs then untouched). */
int dt_fault_parse (const char *spec, char *point, unsigned long *nth);

/* Arms `spec` (NULL or empty disarms) and resets the count of reaches.
 * Returns 0, or -1 when `spec` is malformed (then nothing is armed). The
 * program calls it once at start with DTASK_FAULT; tests call it directly. */
int dt_fault_arm (const char *spec);

/* Counts a reach of `point`. Returns 1 when this reach fires (the armed
 * point, its Nth reach, logged as FAULT-INJECTED), else 0. */
int dt_fault_hit (const char *point);

/* dt_fault_hit(), and when it fires: stands still for DT_FAULT_SETTLE_MS
 * (messages already sent leave the process), then kills it with SIGKILL. */
void dt_fault_crash (const char *point);

/* What the code writes at a point, one line each:
 *   DT_FAULT_CRASH (point)            a crash point;
 *   DT_FAULT_CRASH_IF (cond, point)   a crash point reached only when `cond` holds (e.g. a turn
 *                                     with replies waiting); without DTASK_FAULTS `cond` is not
 *                                     even evaluated;
 *   DT_FAULT_FAIL (point)             an expression: 1 when the operation it guards must fail
 *                                     now, else 0 (always 0 without DTASK_FAULTS). */
#define DT_FAULT_CRASH(point)          dt_fault_crash (point)
#define DT_FAULT_CRASH_IF(cond, point) ((cond) ? dt_fault_crash (point) : (void) 0)
#define DT_FAULT_FAIL(point)           dt_fault_hit (point)

#else

#define DT_FAULT_CRASH(point)          ((void) 0)
#define DT_FAULT_CRASH_IF(cond, point) ((void) 0)
#define DT_FAULT_FAIL(point)           0

#endif

#endif
