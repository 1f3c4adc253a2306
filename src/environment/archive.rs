//! The one-file tar archives Docker's archive API speaks (`docker cp`): written for
//! [`super::Container::copy_in`], read for [`super::Container::copy_out`]. A plain ustar header
//! is all either side needs, so no tar crate.

use anyhow::{bail, Result};

const BLOCK: usize = 512;

/// A tar holding one regular file `name` (no directories) with `mode`, owned by root.
pub fn single_file(name: &str, content: &[u8], mode: u32) -> Result<Vec<u8>> {
    if name.is_empty() || name.len() > 99 || name.contains('/') {
        bail!("tar entry name {name:?}: give a plain file name of 1-99 bytes");
    }
    let mut header = [0u8; BLOCK];
    header[..name.len()].copy_from_slice(name.as_bytes());
    octal(&mut header[100..108], u64::from(mode));
    octal(&mut header[108..116], 0);
    octal(&mut header[116..124], 0);
    octal(&mut header[124..136], content.len() as u64);
    let mtime = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    octal(&mut header[136..148], mtime);
    header[156] = b'0';
    header[257..263].copy_from_slice(b"ustar\0");
    header[263..265].copy_from_slice(b"00");
    // The checksum is taken with its own field as spaces.
    header[148..156].copy_from_slice(b"        ");
    let sum: u64 = header.iter().map(|b| u64::from(*b)).sum();
    let digits = format!("{sum:06o}\0 ");
    header[148..156].copy_from_slice(digits.as_bytes());
    let mut out = Vec::with_capacity(BLOCK * 3 + content.len());
    out.extend_from_slice(&header);
    out.extend_from_slice(content);
    out.resize(out.len().div_ceil(BLOCK) * BLOCK, 0);
    out.resize(out.len() + 2 * BLOCK, 0);
    Ok(out)
}

/// The content of the first regular file in `tar` (what Docker sends for a file path).
pub fn first_file(tar: &[u8]) -> Result<Vec<u8>> {
    let mut at = 0;
    while at + BLOCK <= tar.len() {
        let header = &tar[at..at + BLOCK];
        if header.iter().all(|b| *b == 0) {
            break;
        }
        let size = parse_octal(&header[124..136])?;
        let kind = header[156];
        let data = at + BLOCK;
        let end = data + size as usize;
        if end > tar.len() {
            bail!("truncated tar: an entry of {size} bytes runs past the end ({} bytes)", tar.len());
        }
        if kind == b'0' || kind == 0 {
            return Ok(tar[data..end].to_vec());
        }
        at = data + (size as usize).div_ceil(BLOCK) * BLOCK;
    }
    bail!("the archive holds no regular file")
}

fn octal(field: &mut [u8], value: u64) {
    let width = field.len() - 1;
    let text = format!("{value:0width$o}");
    field[..width].copy_from_slice(&text.as_bytes()[text.len() - width..]);
    field[width] = 0;
}

fn parse_octal(field: &[u8]) -> Result<u64> {
    let text: String = field.iter().take_while(|b| **b != 0).map(|b| *b as char).collect();
    let text = text.trim();
    if text.is_empty() {
        return Ok(0);
    }
    u64::from_str_radix(text, 8).map_err(|_| anyhow::anyhow!("tar header: size field {text:?} is not octal"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_file_reads_back() {
        let content: Vec<u8> = (0..1300u32).map(|i| (i % 251) as u8).collect();
        let tar = single_file("dump.rdb", &content, 0o644).unwrap();
        assert_eq!(tar.len() % BLOCK, 0);
        assert_eq!(first_file(&tar).unwrap(), content);
        assert_eq!(first_file(&single_file("empty", b"", 0o600).unwrap()).unwrap(), b"");
        assert!(single_file("a/b", b"x", 0o644).is_err());
        assert!(first_file(&tar[..BLOCK + 10]).is_err());
    }

    #[test]
    fn the_checksum_is_what_tar_expects() {
        let tar = single_file("x", b"hello", 0o644).unwrap();
        let mut header = tar[..BLOCK].to_vec();
        let stored = parse_octal(&header[148..155]).unwrap();
        header[148..156].copy_from_slice(b"        ");
        assert_eq!(stored, header.iter().map(|b| u64::from(*b)).sum::<u64>());
    }
}
