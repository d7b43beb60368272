package projections

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// vietnameseLetters lists every precomposed Vietnamese letter other than the
// plain ASCII ones, grouped by the ASCII letter it folds to: the vowels a ă â
// e ê i o ô ơ u ư y with no tone and with each of the five tones (huyền,
// sắc, hỏi, ngã, nặng), in both cases, and đ/Đ.
var vietnameseLetters = map[byte]string{
	'a': "àáảãạăằắẳẵặâầấẩẫậ" + "ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬ",
	'e': "èéẻẽẹêềếểễệ" + "ÈÉẺẼẸÊỀẾỂỄỆ",
	'i': "ìíỉĩị" + "ÌÍỈĨỊ",
	'o': "òóỏõọôồốổỗộơờớởỡợ" + "ÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢ",
	'u': "ùúủũụưừứửữự" + "ÙÚỦŨỤƯỪỨỬỮỰ",
	'y': "ỳýỷỹỵ" + "ỲÝỶỸỴ",
	'd': "đĐ",
}

// foldTable maps a rune below len(foldTable) to the ASCII letter it folds
// to, or 0 if it is not a Vietnamese letter. Every precomposed Vietnamese
// letter lies below U+1F00, so an array lookup replaces a map lookup on the
// path that folds every description the model applies.
var foldTable = func() (t [0x1F00]byte) {
	for base, letters := range vietnameseLetters {
		for _, r := range letters {
			t[r] = base
		}
	}
	return t
}()

// FoldVietnamese returns s as search compares it: lower-case, with every
// Vietnamese diacritic removed (đ and Đ become d), and runs of white space
// collapsed to one space with none at either end. Precomposed letters (NFC,
// what keyboards and browsers send) are mapped by a table; combining marks
// U+0300–U+036F of decomposed input (NFD) are dropped, so both spellings of
// "Ô nhiễm" fold to "o nhiem".
func FoldVietnamese(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false // a space is pending: written only before the next letter
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f':
				space = b.Len() > 0
				continue
			case 'A' <= c && c <= 'Z':
				c += 'a' - 'A'
			}
			if space {
				b.WriteByte(' ')
				space = false
			}
			b.WriteByte(c)
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case 0x0300 <= r && r <= 0x036F:
			continue // a combining mark: tone or vowel diacritic of decomposed input
		case unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		if r < rune(len(foldTable)) && foldTable[r] != 0 {
			b.WriteByte(foldTable[r])
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}
