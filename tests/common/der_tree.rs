//! A minimal DER tree for tests that take a structure apart and put it
//! back together with changes (a timestamp token with a certificate moved,
//! a SignerInfo doubled, signed attributes re-signed). Definite lengths only.
#![allow(dead_code)]

/// One TLV: its identifier octet and its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tlv {
    pub tag: u8,
    pub content: Content,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    Primitive(Vec<u8>),
    Constructed(Vec<Tlv>),
}

impl Tlv {
    /// Parses one TLV from the start of `bytes`; returns it and the rest.
    pub fn parse(bytes: &[u8]) -> (Tlv, &[u8]) {
        let tag = bytes[0];
        assert!(tag & 0x1f != 0x1f, "high tag numbers are not supported");
        let (len, header) = match bytes[1] {
            n if n < 0x80 => (n as usize, 2),
            n => {
                let k = (n & 0x7f) as usize;
                let len = bytes[2..2 + k]
                    .iter()
                    .fold(0usize, |v, b| (v << 8) | *b as usize);
                (len, 2 + k)
            }
        };
        let body = &bytes[header..header + len];
        let content = if tag & 0x20 != 0 {
            let mut children = Vec::new();
            let mut rest = body;
            while !rest.is_empty() {
                let (child, r) = Tlv::parse(rest);
                children.push(child);
                rest = r;
            }
            Content::Constructed(children)
        } else {
            Content::Primitive(body.to_vec())
        };
        (Tlv { tag, content }, &bytes[header + len..])
    }

    pub fn from_der(bytes: &[u8]) -> Tlv {
        let (t, rest) = Tlv::parse(bytes);
        assert!(rest.is_empty(), "trailing bytes");
        t
    }

    pub fn encode(&self) -> Vec<u8> {
        let body = match &self.content {
            Content::Primitive(b) => b.clone(),
            Content::Constructed(children) => children.iter().flat_map(Tlv::encode).collect(),
        };
        let mut out = vec![self.tag];
        let len = body.len();
        if len < 0x80 {
            out.push(len as u8);
        } else {
            let bytes: Vec<u8> = len
                .to_be_bytes()
                .iter()
                .copied()
                .skip_while(|b| *b == 0)
                .collect();
            out.push(0x80 | bytes.len() as u8);
            out.extend(bytes);
        }
        out.extend(body);
        out
    }

    pub fn children(&mut self) -> &mut Vec<Tlv> {
        match &mut self.content {
            Content::Constructed(c) => c,
            Content::Primitive(_) => panic!("not constructed"),
        }
    }

    /// The node at `path` (child indexes from here).
    pub fn at(&mut self, path: &[usize]) -> &mut Tlv {
        let mut node = self;
        for i in path {
            node = &mut node.children()[*i];
        }
        node
    }

    pub fn bytes(&self) -> &[u8] {
        match &self.content {
            Content::Primitive(b) => b,
            Content::Constructed(_) => panic!("not primitive"),
        }
    }
}

/// Paths in a TimeStampToken (ContentInfo -> [0] -> SignedData).
pub mod token {
    /// SignedData.
    pub const SIGNED_DATA: &[usize] = &[1, 0];
    /// SignedData's certificates `[0]` (with `-cert`, the 4th element).
    pub const CERTIFICATES: &[usize] = &[1, 0, 3];
    /// The SignerInfos SET (the last element of SignedData).
    pub fn signer_infos(token: &mut super::Tlv) -> &mut super::Tlv {
        let sd = token.at(SIGNED_DATA);
        let last = sd.children().len() - 1;
        &mut sd.children()[last]
    }
}
