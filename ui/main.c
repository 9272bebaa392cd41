/* main.c: placeholder until the CLI lands. */
#include <stdio.h>

int main(void);

/* Print the version. */
int
main(void)
{
	printf("cdesk %s\n", CDESK_VERSION);
	return 0;
}
