/* UTF-8, display width and control-character neutralising. */
#define _XOPEN_SOURCE 700
#include <langinfo.h>
#include <locale.h>
#include <string.h>
#include <wchar.h>

#include "text.h"

static int utf8_locale;

void
text_init(void)
{
	const char *cs;

	setlocale(LC_CTYPE, "");
	cs = nl_langinfo(CODESET);
	if (!cs || strcmp(cs, "UTF-8") != 0) {
		if (!setlocale(LC_CTYPE, "C.UTF-8"))
			setlocale(LC_CTYPE, "en_US.UTF-8");
		cs = nl_langinfo(CODESET);
	}
	utf8_locale = cs && strcmp(cs, "UTF-8") == 0;
}

size_t
utf8_decode(const char *s, size_t n, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t c;
	size_t len, i;

	if (u[0] < 0x80) {
		*cp = u[0];
		return 1;
	}
	if (u[0] >= 0xc2 && u[0] <= 0xdf) {
		len = 2;
		c = u[0] & 0x1f;
	} else if (u[0] >= 0xe0 && u[0] <= 0xef) {
		len = 3;
		c = u[0] & 0x0f;
	} else if (u[0] >= 0xf0 && u[0] <= 0xf4) {
		len = 4;
		c = u[0] & 0x07;
	} else {
		goto invalid;
	}
	if (len > n)
		goto invalid;
	for (i = 1; i < len; i++) {
		if ((u[i] & 0xc0) != 0x80)
			goto invalid;
		c = c << 6 | (u[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF. */
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		goto invalid;
	*cp = c;
	return len;
invalid:
	*cp = 0xfffd;
	return 1;
}

int
codepoint_width(uint32_t cp)
{
	int w;

	if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
		return 0;
	if (cp < 0x7f)
		return 1;
	if (!utf8_locale)
		text_init();
	w = wcwidth((wchar_t)cp);
	if (w < 0)
		return 1;
	return w;
}

/* The visible form of one decoded unit, as text_sanitize writes it. */
static size_t
sanitize_unit(const char *s, size_t n, int keep_newlines, char *tmp,
    size_t *width)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char c = (unsigned char)s[0];
	uint32_t cp;
	size_t len;

	if (c == '\n' && keep_newlines) {
		tmp[0] = '\n';
		*width = 0;
		return 1;
	}
	if (c == '\t') {
		tmp[0] = ' ';
		*width = 1;
		return 1;
	}
	if (c == '\n') {
		memcpy(tmp, "\\n", 2);
		*width = 2;
		return 2;
	}
	if (c < 0x20 || c == 0x7f) {
		tmp[0] = '^';
		tmp[1] = c == 0x7f ? '?' : (char)(c + '@');
		*width = 2;
		return 2;
	}
	len = utf8_decode(s, n, &cp);
	if (cp == 0xfffd && len == 1 && c >= 0x80) {
		tmp[0] = '\\';
		tmp[1] = 'x';
		tmp[2] = hex[c >> 4];
		tmp[3] = hex[c & 15];
		*width = 4;
		return 4;
	}
	if (cp >= 0x80 && cp < 0xa0) {
		memcpy(tmp, "\\u00", 4);
		tmp[4] = hex[(cp >> 4) & 15];
		tmp[5] = hex[cp & 15];
		*width = 6;
		return 6;
	}
	memcpy(tmp, s, len);
	*width = (size_t)codepoint_width(cp);
	return len;
}

static size_t
unit_length(const char *s, size_t n)
{
	uint32_t cp;

	if ((unsigned char)s[0] < 0x80)
		return 1;
	return utf8_decode(s, n, &cp);
}

size_t
text_width(const char *s, size_t len)
{
	size_t i = 0, total = 0;
	char tmp[8];

	while (i < len) {
		size_t w;

		sanitize_unit(s + i, len - i, 0, tmp, &w);
		total += w;
		i += unit_length(s + i, len - i);
	}
	return total;
}

void
text_sanitize(const char *s, size_t len, int keep_newlines, struct buf *out)
{
	size_t i = 0;
	char tmp[8];

	while (i < len) {
		size_t w, n = sanitize_unit(s + i, len - i, keep_newlines, tmp,
				  &w);

		buf_add(out, tmp, n);
		i += unit_length(s + i, len - i);
	}
}

size_t
text_fit(const char *s, size_t len, size_t width, int pad, struct buf *out)
{
	size_t i = 0, used = 0, full = text_width(s, len);
	char tmp[8];

	if (full <= width) {
		text_sanitize(s, len, 0, out);
		used = full;
	} else if (width > 0) {
		/* Leave one column for the ellipsis. */
		while (i < len) {
			size_t w, n = sanitize_unit(s + i, len - i, 0, tmp, &w);

			if (used + w > width - 1)
				break;
			buf_add(out, tmp, n);
			used += w;
			i += unit_length(s + i, len - i);
		}
		buf_adds(out, "\xe2\x80\xa6");
		used++;
	}
	while (pad && used < width) {
		buf_addc(out, ' ');
		used++;
	}
	return used;
}
