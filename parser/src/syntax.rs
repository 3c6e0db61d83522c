//! The lossless syntax tree: a flat arena of nodes over the token vector.
//!
//! Nodes are stored in preorder. Each node covers a contiguous range of
//! tokens; a token belongs to the deepest node whose range contains it.
//! Trivia (whitespace, comments) and error tokens are ordinary tokens, so
//! the tree always reproduces its input byte for byte.

use std::ops::Range;
use std::sync::Arc;

use crate::lexer::{piece_value_into, Token, TokenKind, Tokens};

/// What a node is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[repr(u8)]
pub enum NodeKind {
    /// The whole file.
    SourceFile,
    /// `NAME { … }`
    JailBlock,
    /// The block's name (one piece).
    JailName,
    /// `name;`, `name = v;`, `name += v;`, `name v;`, `$var = v;`
    Statement,
    /// `.include "pattern", …;` (name-value form, 14.0+).
    Include,
    /// A statement's name (one piece; a variable piece defines a variable).
    ParamName,
    /// The values after the name or operator, separated by commas.
    ValueList,
    /// One value: adjacent pieces forming one string.
    Value,
    /// A lone `;`.
    EmptyStatement,
    /// Tokens that do not fit the grammar.
    Error,
}

/// Index of a node in a [`SyntaxTree`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub u32);

/// Where a node is. Its kind is kept apart (in `SyntaxTree::kinds`), so
/// this packs into 12 bytes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct NodeData {
    pub(crate) tokens: (u32, u32),
    /// Index just past this node's subtree in preorder.
    pub(crate) subtree_end: u32,
}

/// A parsed file: its text, tokens and nodes.
#[derive(Clone, Debug)]
pub struct SyntaxTree {
    /// Shared with the file's lazily built [`LineIndex`](crate::source::LineIndex).
    pub(crate) text: Arc<Vec<u8>>,
    pub(crate) tokens: Tokens,
    pub(crate) nodes: Vec<NodeData>,
    /// The kind of each node, by index.
    pub(crate) kinds: Vec<NodeKind>,
    pub(crate) jail_names: JailNames,
}

/// The decoded name of every jail block, recorded by the parser while the
/// name's token is at hand. The model reads a block's name without going
/// back to the tokens and the text: on a large file those reads would each
/// miss the processor's cache.
#[derive(Clone, Debug, Default)]
pub(crate) struct JailNames {
    /// The names, one after the other.
    bytes: Vec<u8>,
    /// One entry per named block, in preorder.
    entries: Vec<JailNameEntry>,
}

/// One named block in [`JailNames`].
#[derive(Clone, Copy, Debug)]
struct JailNameEntry {
    block: u32,
    /// Where the name ends in `bytes` (it starts where the previous ends).
    end: u32,
    /// The name piece's byte range in the text.
    piece: (u32, u32),
}

impl JailNames {
    /// Records the name `piece` (its token, and its text) gives `block`
    /// (the blocks come in preorder).
    pub(crate) fn push(&mut self, block: u32, piece: Token, text: &[u8]) {
        debug_assert!(self.entries.last().is_none_or(|last| last.block < block));
        piece_value_into(piece.kind, text, &mut self.bytes);
        self.entries.push(JailNameEntry {
            block,
            end: self.bytes.len() as u32,
            piece: (piece.start, piece.end),
        });
    }

    /// The name and piece range of entry `index`.
    fn entry(&self, index: usize) -> (&[u8], Range<u32>) {
        let entry = self.entries[index];
        let start = index
            .checked_sub(1)
            .map_or(0, |before| self.entries[before].end);
        (
            &self.bytes[start as usize..entry.end as usize],
            entry.piece.0..entry.piece.1,
        )
    }
}

/// A child of a node: either a node or a token that belongs directly to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Element {
    /// A child node.
    Node(NodeId),
    /// A token index.
    Token(u32),
}

impl SyntaxTree {
    /// The source text.
    pub fn text(&self) -> &[u8] {
        &self.text
    }

    /// All tokens in order.
    pub fn tokens(&self) -> &Tokens {
        &self.tokens
    }

    /// The root node.
    pub fn root(&self) -> NodeId {
        NodeId(0)
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// A node's kind.
    pub fn kind(&self, node: NodeId) -> NodeKind {
        self.kinds[node.0 as usize]
    }

    /// A node's token index range.
    pub fn token_range(&self, node: NodeId) -> Range<usize> {
        let (start, end) = self.nodes[node.0 as usize].tokens;
        start as usize..end as usize
    }

    /// A node's byte range (empty at the right place for an empty node).
    pub fn byte_range(&self, node: NodeId) -> Range<usize> {
        let tokens = self.token_range(node);
        if tokens.is_empty() {
            let at = self
                .tokens
                .get(tokens.start)
                .map_or(self.text.len(), |t| t.start as usize);
            return at..at;
        }
        self.tokens.at(tokens.start).start as usize..self.tokens.at(tokens.end - 1).end as usize
    }

    /// The text a token covers.
    pub fn token_text(&self, index: u32) -> &[u8] {
        &self.text[self.tokens.at(index as usize).range()]
    }

    /// The text a node covers.
    pub fn node_text(&self, node: NodeId) -> &[u8] {
        &self.text[self.byte_range(node)]
    }

    /// Direct child nodes, in order.
    pub fn child_nodes(&self, node: NodeId) -> ChildNodes<'_> {
        let data = self.nodes[node.0 as usize];
        ChildNodes {
            tree: self,
            next: node.0 + 1,
            end: data.subtree_end,
        }
    }

    /// Direct children (nodes and the tokens owned by this node), in order.
    pub fn children(&self, node: NodeId) -> Vec<Element> {
        self.child_elements(node).collect()
    }

    /// Like [`SyntaxTree::children`], without collecting them.
    pub fn child_elements(&self, node: NodeId) -> Children<'_> {
        let tokens = self.token_range(node);
        Children {
            tree: self,
            nodes: self.child_nodes(node),
            next_node: None,
            token: tokens.start,
            end: tokens.end,
        }
    }

    /// Tokens owned directly by `node` (not by a child node).
    pub fn direct_tokens(&self, node: NodeId) -> impl Iterator<Item = u32> + '_ {
        self.child_elements(node).filter_map(|e| match e {
            Element::Token(t) => Some(t),
            Element::Node(_) => None,
        })
    }

    /// The first direct child token of the given kind.
    pub fn child_token(&self, node: NodeId, kind: TokenKind) -> Option<u32> {
        self.direct_tokens(node)
            .find(|&t| self.tokens.kind(t as usize) == Some(kind))
    }

    /// The first direct child node of the given kind.
    pub fn child_node(&self, node: NodeId, kind: NodeKind) -> Option<NodeId> {
        self.child_nodes(node).find(|&n| self.kind(n) == kind)
    }

    /// The node just after `node`'s subtree in preorder: its next sibling,
    /// if it has one.
    pub fn subtree_end(&self, node: NodeId) -> NodeId {
        NodeId(self.nodes[node.0 as usize].subtree_end)
    }

    /// Every node in preorder.
    pub fn descendants(&self, node: NodeId) -> impl Iterator<Item = NodeId> {
        let end = self.nodes[node.0 as usize].subtree_end;
        (node.0..end).map(NodeId)
    }

    /// A jail block's own name, decoded (quotes removed, escapes
    /// resolved), and the byte range of the piece it is written as; `None`
    /// when the block has no usable name (none, a variable, or broken).
    pub fn jail_name(&self, block: NodeId) -> Option<(&[u8], Range<u32>)> {
        let entries = &self.jail_names.entries;
        let index = entries.partition_point(|entry| entry.block < block.0);
        (entries.get(index)?.block == block.0).then(|| self.jail_names.entry(index))
    }

    /// How many blocks have a name ([`SyntaxTree::jail_name`]).
    pub fn jail_name_count(&self) -> usize {
        self.jail_names.entries.len()
    }

    /// [`SyntaxTree::jail_name`] for blocks looked up in preorder: `cursor`
    /// starts at 0 and is where the next block's entry is looked for first.
    pub fn jail_name_in_order(
        &self,
        block: NodeId,
        cursor: &mut usize,
    ) -> Option<(&[u8], Range<u32>)> {
        let entries = &self.jail_names.entries;
        let index = if entries
            .get(*cursor)
            .is_some_and(|entry| entry.block == block.0)
        {
            *cursor
        } else {
            entries.partition_point(|entry| entry.block < block.0)
        };
        *cursor = index;
        entries.get(index).filter(|entry| entry.block == block.0)?;
        *cursor = index + 1;
        Some(self.jail_names.entry(index))
    }

    /// A debug rendering: one line per node and token, indented.
    pub fn debug_dump(&self) -> String {
        use std::fmt::Write;
        // An explicit stack: nesting can be arbitrarily deep.
        enum Step {
            Open(NodeId, usize),
            Token(u32, usize),
        }
        let mut out = String::new();
        let mut stack = vec![Step::Open(self.root(), 0)];
        while let Some(step) = stack.pop() {
            match step {
                Step::Open(node, depth) => {
                    let range = self.byte_range(node);
                    let _ = writeln!(
                        out,
                        "{:indent$}{:?}@{}..{}",
                        "",
                        self.kind(node),
                        range.start,
                        range.end,
                        indent = depth * 2
                    );
                    let children: Vec<Element> = self.children(node);
                    for element in children.into_iter().rev() {
                        stack.push(match element {
                            Element::Node(child) => Step::Open(child, depth + 1),
                            Element::Token(t) => Step::Token(t, depth + 1),
                        });
                    }
                }
                Step::Token(t, depth) => {
                    let token = self.tokens.at(t as usize);
                    let _ = writeln!(
                        out,
                        "{:indent$}{:?}{} {:?}",
                        "",
                        token.kind,
                        if token.joined { "+" } else { "" },
                        String::from_utf8_lossy(self.token_text(t)),
                        indent = depth * 2
                    );
                }
            }
        }
        out
    }
}

/// Iterator over a node's direct child nodes.
pub struct ChildNodes<'a> {
    tree: &'a SyntaxTree,
    next: u32,
    end: u32,
}

impl Iterator for ChildNodes<'_> {
    type Item = NodeId;

    fn next(&mut self) -> Option<NodeId> {
        if self.next >= self.end {
            return None;
        }
        let id = NodeId(self.next);
        self.next = self.tree.nodes[self.next as usize].subtree_end;
        Some(id)
    }
}

/// Iterator over a node's direct children: its child nodes and the tokens
/// it owns itself, in order.
pub struct Children<'a> {
    tree: &'a SyntaxTree,
    nodes: ChildNodes<'a>,
    /// The next child node and its first token, once looked up.
    next_node: Option<(NodeId, usize)>,
    /// The next token not yet returned or skipped.
    token: usize,
    end: usize,
}

impl Iterator for Children<'_> {
    type Item = Element;

    fn next(&mut self) -> Option<Element> {
        if self.next_node.is_none() {
            self.next_node = self
                .nodes
                .next()
                .map(|child| (child, self.tree.token_range(child).start));
        }
        match self.next_node {
            Some((_, start)) if self.token < start => {}
            Some((child, _)) => {
                self.next_node = None;
                self.token = self.token.max(self.tree.token_range(child).end);
                return Some(Element::Node(child));
            }
            None if self.token < self.end => {}
            None => return None,
        }
        self.token += 1;
        Some(Element::Token(self.token as u32 - 1))
    }
}

/// Builds a [`SyntaxTree`] in preorder while the parser walks the tokens.
pub(crate) struct TreeBuilder {
    nodes: Vec<NodeData>,
    kinds: Vec<NodeKind>,
    open: Vec<u32>,
    pub(crate) jail_names: JailNames,
}

impl TreeBuilder {
    pub(crate) fn new(token_estimate: usize) -> Self {
        // Configurations have about two nodes for every five tokens.
        let nodes = token_estimate / 2 + 1;
        TreeBuilder {
            nodes: Vec::with_capacity(nodes),
            kinds: Vec::with_capacity(nodes),
            open: Vec::new(),
            jail_names: JailNames::default(),
        }
    }

    /// Opens a node starting at token `at`.
    pub(crate) fn start(&mut self, kind: NodeKind, at: usize) -> u32 {
        let index = self.nodes.len() as u32;
        self.nodes.push(NodeData {
            tokens: (at as u32, at as u32),
            subtree_end: index + 1,
        });
        self.kinds.push(kind);
        self.open.push(index);
        index
    }

    /// Closes the innermost open node; it ends before token `at`.
    pub(crate) fn finish(&mut self, at: usize) {
        if let Some(index) = self.open.pop() {
            let end = self.nodes.len() as u32;
            let node = &mut self.nodes[index as usize];
            node.tokens.1 = (at as u32).max(node.tokens.0);
            node.subtree_end = end;
        }
    }

    /// Changes the kind of an open or finished node.
    pub(crate) fn set_kind(&mut self, index: u32, kind: NodeKind) {
        self.kinds[index as usize] = kind;
    }

    pub(crate) fn build(mut self, text: Vec<u8>, tokens: Tokens) -> SyntaxTree {
        let end = tokens.len();
        while !self.open.is_empty() {
            self.finish(end);
        }
        SyntaxTree {
            text: Arc::new(text),
            tokens,
            nodes: self.nodes,
            kinds: self.kinds,
            jail_names: self.jail_names,
        }
    }
}
