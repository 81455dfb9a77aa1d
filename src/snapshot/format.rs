//! Whether a file is an image, by its first bytes: the format word, in either byte order, at
//! the start or after a 512-byte prefix (as the VM tries them), and — for the formats whose
//! header says how much data follows — whether the file holds all of it.

/// The image formats: 32-bit 6502, 6504, 6505, 6521 (Spur) and 64-bit 68000, 68002, 68003,
/// 68019, 68021 (Spur, current Pharo). Newer formats are one of these plus capability bits.
const FORMATS: [u32; 9] = [6502, 6504, 6505, 6521, 68000, 68002, 68003, 68019, 68021];
/// The capability bits a format word may carry over its base version: platform float order
/// (1) and several bytecode sets (512, e.g. 68533 = 68021 + 512).
const CAPABILITIES: u32 = 1 | 512;
/// Where the format word may be: the start, or after a 512-byte prefix.
const OFFSETS: [usize; 2] = [0, 512];
/// How many bytes [`check`] needs to see.
pub const HEAD_LEN: usize = 512 + 24;

/// What the first bytes of a file say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// An image of that format; `expected` is the size the header promises, when it says.
    Image { format: u32, expected: Option<u64> },
    /// No format word where the VM looks for one.
    NotAnImage,
}

/// Whether `word` is a known image format, possibly with capability bits.
pub fn is_format(word: u32) -> bool {
    FORMATS
        .iter()
        .any(|known| known & !CAPABILITIES == word & !CAPABILITIES)
}

/// Reads the format word, and the header's size fields where the format has them, from the
/// first bytes of a file.
pub fn check(head: &[u8]) -> Verdict {
    for offset in OFFSETS {
        let Some(word) = head.get(offset..offset + 4) else {
            continue;
        };
        let word: [u8; 4] = word.try_into().unwrap_or_default();
        for little in [true, false] {
            let read32 = |at: usize| -> Option<u64> {
                let bytes: [u8; 4] = head.get(at..at + 4)?.try_into().ok()?;
                Some(u64::from(if little {
                    u32::from_le_bytes(bytes)
                } else {
                    u32::from_be_bytes(bytes)
                }))
            };
            let read64 = |at: usize| -> Option<u64> {
                let bytes: [u8; 8] = head.get(at..at + 8)?.try_into().ok()?;
                Some(if little {
                    u64::from_le_bytes(bytes)
                } else {
                    u64::from_be_bytes(bytes)
                })
            };
            let format = if little {
                u32::from_le_bytes(word)
            } else {
                u32::from_be_bytes(word)
            };
            if !is_format(format) {
                continue;
            }
            // The header: the format word, the header's size (4 bytes), then the size of the
            // data that follows it — a 32-bit word in 32-bit images, 64-bit in Spur 64-bit
            // ones. Older 64-bit formats (68000-68003) lay their header out otherwise.
            let base = format & !CAPABILITIES;
            let data = match base {
                6502 | 6504 | 6520 => read32(offset + 8),
                68018 | 68020 => read64(offset + 8),
                _ => None,
            };
            let expected = read32(offset + 4)
                .zip(data)
                .map(|(header, data)| offset as u64 + header + data);
            return Verdict::Image { format, expected };
        }
    }
    Verdict::NotAnImage
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spur(little: bool, header: u32, data: u64) -> Vec<u8> {
        let mut head = Vec::new();
        if little {
            head.extend(68021u32.to_le_bytes());
            head.extend(header.to_le_bytes());
            head.extend(data.to_le_bytes());
        } else {
            head.extend(68021u32.to_be_bytes());
            head.extend(header.to_be_bytes());
            head.extend(data.to_be_bytes());
        }
        head.resize(HEAD_LEN, 0);
        head
    }

    #[test]
    fn knows_the_formats_and_their_capability_bits() {
        for word in FORMATS.into_iter().chain([68533, 7033]) {
            assert!(is_format(word), "{word}");
        }
        for word in [0, 1, 6500, 42, 68004, 0x0102_0304] {
            assert!(!is_format(word), "{word}");
        }
    }

    #[test]
    fn reads_either_byte_order_and_the_size_the_header_promises() {
        for little in [true, false] {
            assert_eq!(
                check(&spur(little, 128, 1000)),
                Verdict::Image {
                    format: 68021,
                    expected: Some(1128)
                }
            );
        }
    }

    #[test]
    fn looks_after_a_512_byte_prefix_too() {
        let mut head = vec![b'#'; 512];
        head.extend(6521u32.to_be_bytes());
        head.extend(64u32.to_be_bytes());
        head.extend(100u32.to_be_bytes());
        assert_eq!(
            check(&head),
            Verdict::Image {
                format: 6521,
                expected: Some(512 + 64 + 100)
            }
        );
    }

    #[test]
    fn text_and_empty_files_are_not_images() {
        assert_eq!(check(b""), Verdict::NotAnImage);
        assert_eq!(check(b"a Pharo image"), Verdict::NotAnImage);
        assert_eq!(check(&[0; HEAD_LEN]), Verdict::NotAnImage);
    }

    #[test]
    fn old_64_bit_formats_promise_no_size() {
        let mut head = 68002u32.to_le_bytes().to_vec();
        head.resize(HEAD_LEN, 0);
        assert_eq!(
            check(&head),
            Verdict::Image {
                format: 68002,
                expected: None
            }
        );
    }
}
