/* A branchy state machine: a tokenizer for a small C-like language (identifiers,
 * numbers, strings with escapes, comments, operators) run over generated text, with a
 * switch per character. */
#include "bench.h"

#define N (128 * 1024)
static char text[N];

static const char *const pieces[] = {
    "int ", "x", "y1", "foo_bar", " = ", "42", "0x1f", "+", "-", "*", "/* c */", "// line\n",
    "\"str\\\"ing\"", "(", ")", "{", "}", ";", "\n", "  ", "<=", "==", "!=", "&&", "'a'", "3.25",
};

enum { START, IDENT, NUMBER, HEX, STRING, STRESC, SLASH, LCOMMENT, BCOMMENT, BSTAR, OP, CHAR };

int main(void)
{
    uint64_t s = opaque(99);
    int n = 0;
    while (n < N - 32) {
        const char *p = pieces[rnd(&s) % (sizeof pieces / sizeof pieces[0])];
        while (*p && n < N - 1)
            text[n++] = *p++;
    }
    text[n] = 0;
    uint64_t counts[12] = { 0 }, h = 0;
    int passes = (int)opaque(SCALE(12));
    for (int pass = 0; pass < passes; pass++) {
        int st = START;
        for (int i = 0; i < n; i++) {
            char c = text[i];
            int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
            int digit = c >= '0' && c <= '9';
            switch (st) {
            case START:
            start:
                if (alpha)
                    st = IDENT;
                else if (c == '0' && text[i + 1] == 'x') {
                    st = HEX;
                    i++;
                } else if (digit)
                    st = NUMBER;
                else if (c == '"')
                    st = STRING;
                else if (c == '\'')
                    st = CHAR;
                else if (c == '/')
                    st = SLASH;
                else if (c == ' ' || c == '\n' || c == '\t')
                    st = START;
                else
                    st = OP;
                counts[st]++;
                h = h * 131 + (uint64_t)st;
                break;
            case IDENT:
                if (!alpha && !digit) {
                    st = START;
                    goto start;
                }
                break;
            case NUMBER:
                if (!digit && c != '.') {
                    st = START;
                    goto start;
                }
                break;
            case HEX:
                if (!digit && !(c >= 'a' && c <= 'f')) {
                    st = START;
                    goto start;
                }
                break;
            case STRING:
                if (c == '\\')
                    st = STRESC;
                else if (c == '"')
                    st = START;
                break;
            case STRESC:
                st = STRING;
                break;
            case CHAR:
                if (c == '\'')
                    st = START;
                break;
            case SLASH:
                if (c == '/')
                    st = LCOMMENT;
                else if (c == '*')
                    st = BCOMMENT;
                else {
                    st = START;
                    goto start;
                }
                break;
            case LCOMMENT:
                if (c == '\n')
                    st = START;
                break;
            case BCOMMENT:
                if (c == '*')
                    st = BSTAR;
                break;
            case BSTAR:
                st = c == '/' ? START : c == '*' ? BSTAR : BCOMMENT;
                break;
            case OP:
                if (c == '=' || c == '&') {
                    st = START;
                    break;
                }
                st = START;
                goto start;
            }
        }
        text[pass * 7919 % n] = 'q';
    }
    uint64_t c = 0;
    for (int i = 0; i < 12; i++)
        c = c * 1000003 + counts[i];
    REPORT("fsm.counts", c);
    REPORT("fsm.trace", h);
    return 0;
}
