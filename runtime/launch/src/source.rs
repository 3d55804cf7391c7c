//! One parsed launch file: its path and XML tree, and errors placed at a line in it.

use crate::errors::{ErrorReason, LaunchError, Problem};
use roxmltree::{Document, Node};
use std::path::Path;

pub(crate) struct LaunchFile<'d, 'input> {
    pub path: &'d Path,
    pub doc: &'d Document<'input>,
}

/// An XML element of a launch file.
#[derive(Clone, Copy)]
pub(crate) struct Element<'a, 'input> {
    pub node: Node<'a, 'input>,
}

impl<'a, 'input> Element<'a, 'input> {
    pub fn tag(&self) -> &'a str {
        self.node.tag_name().name()
    }

    pub fn attr(&self, name: &str) -> Option<&'a str> {
        self.node.attribute(name)
    }

    pub fn children(&self) -> impl Iterator<Item = Element<'a, 'input>> + 'a {
        self.node.children().filter(Node::is_element).map(|node| Element { node })
    }

    pub fn line(&self) -> u32 {
        self.node.document().text_pos_at(self.node.range().start).row
    }
}

impl LaunchFile<'_, '_> {
    /// An error at `node` (an element, or text whose parent element is named).
    pub fn error(&self, node: Node<'_, '_>, reason: ErrorReason, message: String) -> LaunchError {
        let element = if node.is_element() { Some(node) } else { node.parent_element() };
        let tag = element.map_or("", |e| e.tag_name().name());
        self.error_at(node.range().start, tag, reason, message)
    }

    /// An error at byte `pos` of the file, about element `tag`.
    pub fn error_at(
        &self,
        pos: usize,
        tag: &str,
        reason: ErrorReason,
        message: String,
    ) -> LaunchError {
        let at = self.doc.text_pos_at(pos);
        LaunchError {
            file: self.path.to_path_buf(),
            line: at.row,
            column: at.col,
            element: tag.to_string(),
            reason,
            message,
        }
    }

    /// A problem found while evaluating element `el`.
    pub fn problem(&self, el: Element<'_, '_>, problem: Problem) -> LaunchError {
        self.error(el.node, problem.reason, problem.message)
    }
}
