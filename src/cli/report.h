/* `memplumber report PID ...` (report.c): ask a running observed process for a report. */
#ifndef MP_CLI_REPORT_H
#define MP_CLI_REPORT_H

/* argv[0] is "report". Returns the exit status (exits itself on errors). */
int mp_report_command(int argc, char **argv);

#endif
