//! One error type for the whole crate. The web layer maps it to the JS class
//! `FlowscaleError` (an `Error` with `code`, `message` and `path`).

use std::fmt;

/// Stable machine-readable codes. The string form (`as_str`) is the public
/// contract: JavaScript code switches on it, so never rename a variant's string.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// The input does not have the expected shape (wrong type, missing field).
    InvalidWorkflow,
    /// Two nodes (or two edges) share an id.
    DuplicateId,
    /// An edge names a source or target node that does not exist.
    DanglingEdge,
    /// A node's `parentId` names a node that does not exist.
    DanglingParent,
    /// Following `parentId` links leads back to the start.
    ParentCycle,
    /// A coordinate or size is NaN or infinite.
    NonFinite,
    /// A width or height is below zero.
    NegativeSize,
    /// A finite number too large to index exactly (beyond ±1e15).
    OutOfRange,
    /// A change names a node or edge id that does not exist.
    UnknownId,
    /// The viewport or screen size cannot be used for a frame.
    InvalidViewport,
    /// A configured limit (for example the node cap) would be exceeded.
    LimitExceeded,
    /// A configuration key is unknown or its value is out of range.
    InvalidConfig,
    /// No GPU (WebGPU or WebGL2) could be used, or it was lost.
    GpuUnavailable,
    /// A call got an unusable argument: a cache key, value or option, a
    /// monitor, profiler or manager argument, a load option, or a value
    /// passed to `render` that is not a frame.
    InvalidArgument,
    /// IndexedDB is missing, failed to open, or its connection was closed
    /// (private modes, storage cleared, a newer version of the page took over).
    StorageUnavailable,
    /// Opening the cache database waits on another tab that holds an older
    /// version open; the disk tier comes online once that tab lets go.
    StorageBlocked,
    /// The browser refused a write for lack of quota.
    QuotaExceeded,
    /// An IndexedDB transaction was aborted (by the browser or another error).
    TransactionAborted,
    /// A stored record does not have the shape flowscale writes; it was deleted.
    CorruptRecord,
    /// The value cannot be stored by structured clone (a function, a DOM node, a Proxy…).
    NotCloneable,
    /// The cache was closed.
    CacheClosed,
    /// A frame's on-demand lists were asked for, or an older frame was passed
    /// to `render`, after another frame or an edit: compute a new frame.
    StaleFrame,
    /// A long operation (a chunked load) was cancelled by its `AbortSignal`.
    Aborted,
    /// The object belongs to a wasm instance that was replaced after a trap
    /// (raised by the JS glue, `src/web/glue.js`, never by Rust: listed here
    /// so every code is in one place).
    ModuleReset,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidWorkflow => "INVALID_WORKFLOW",
            ErrorCode::DuplicateId => "DUPLICATE_ID",
            ErrorCode::DanglingEdge => "DANGLING_EDGE",
            ErrorCode::DanglingParent => "DANGLING_PARENT",
            ErrorCode::ParentCycle => "PARENT_CYCLE",
            ErrorCode::NonFinite => "NON_FINITE",
            ErrorCode::NegativeSize => "NEGATIVE_SIZE",
            ErrorCode::OutOfRange => "OUT_OF_RANGE",
            ErrorCode::UnknownId => "UNKNOWN_ID",
            ErrorCode::InvalidViewport => "INVALID_VIEWPORT",
            ErrorCode::LimitExceeded => "LIMIT_EXCEEDED",
            ErrorCode::InvalidConfig => "INVALID_CONFIG",
            ErrorCode::GpuUnavailable => "GPU_UNAVAILABLE",
            ErrorCode::InvalidArgument => "INVALID_ARGUMENT",
            ErrorCode::StorageUnavailable => "STORAGE_UNAVAILABLE",
            ErrorCode::StorageBlocked => "STORAGE_BLOCKED",
            ErrorCode::QuotaExceeded => "QUOTA_EXCEEDED",
            ErrorCode::TransactionAborted => "TRANSACTION_ABORTED",
            ErrorCode::CorruptRecord => "CORRUPT_RECORD",
            ErrorCode::NotCloneable => "NOT_CLONEABLE",
            ErrorCode::CacheClosed => "CACHE_CLOSED",
            ErrorCode::StaleFrame => "STALE_FRAME",
            ErrorCode::Aborted => "ABORTED",
            ErrorCode::ModuleReset => "MODULE_RESET",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct FlowscaleError {
    pub code: ErrorCode,
    pub message: String,
    /// Where in the input the problem is, e.g. `nodes[12].position.x`.
    pub path: Option<String>,
}

impl FlowscaleError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        FlowscaleError {
            code,
            message: message.into(),
            path: None,
        }
    }

    pub fn at(code: ErrorCode, path: impl Into<String>, message: impl Into<String>) -> Self {
        FlowscaleError {
            code,
            message: message.into(),
            path: Some(path.into()),
        }
    }
}

impl fmt::Display for FlowscaleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.path {
            Some(p) => write!(f, "{} at {}: {}", self.code.as_str(), p, self.message),
            None => write!(f, "{}: {}", self.code.as_str(), self.message),
        }
    }
}

impl std::error::Error for FlowscaleError {}

pub type Result<T> = std::result::Result<T, FlowscaleError>;

/// A config value out of range: `INVALID_CONFIG` at `path`, saying what it must be.
pub(crate) fn bad_config(path: &str, what: &str) -> FlowscaleError {
    FlowscaleError::at(
        ErrorCode::InvalidConfig,
        path,
        format!("{path} must be {what}"),
    )
}

/// One range check of a config section: `ok`, or [`bad_config`].
pub(crate) fn check_config(ok: bool, path: &str, what: &str) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(bad_config(path, what))
    }
}
