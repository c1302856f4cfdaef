//! Greetings, and a checksum to show the binary computes something real.

/// The greeting for `name`.
pub fn greet(name: &str) -> String {
    format!("Hello, {}!", name)
}

/// FNV-1a, 64 bits.
pub fn fnv1a(data: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in data {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greets() {
        assert_eq!(greet("x"), "Hello, x!");
    }

    #[test]
    fn fnv_empty() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
    }
}
