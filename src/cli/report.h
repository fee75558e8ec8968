/* `memplumber report PID ...` (report.c): ask a running observed process for a report. */
#ifndef MP_CLI_REPORT_H
#define MP_CLI_REPORT_H

/* argv[0] is "report". Returns the exit status (exits itself on errors). */
int mp_report_command(int argc, char **argv);

/* The state letter of /proc/PID/stat (R, S, D, T, t, Z, ...), 0 when there is no such process.
 * Also the command's own watch over the program it runs (main.c). */
char mp_report_proc_state(long pid);

#endif
