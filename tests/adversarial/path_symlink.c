// A symbolic link planted at the report path points at a file of the user's: memplumber must
// not follow it (the file stays as it was), and says why.
// SETUP: echo precious > target.txt; ln -s target.txt mp.json
// FILES: target.txt
// JSON: any
// STDERR-HAS: symbolic link
#include <stdlib.h>
int main(void)
{
    char *leak = malloc(3);
    leak = NULL;
    return 0;
}
