/* `memplumber --render-model MODEL_FD RESULT_FD REPORT_LIB` (render.c): internal, started by
 * libmemplumber.so when the observed process cannot write its report itself. */
#ifndef MP_CLI_RENDER_H
#define MP_CLI_RENDER_H

/* argv[0] is "--render-model". Returns the exit status. */
int mp_render_command(int argc, char **argv);

#endif
