//! A Tantivy collector of matching report ids (from the fast field), without scoring: what a
//! rule's or a cohort's set of studies is made of.

use roaring::RoaringBitmap;
use tantivy::collector::{Collector, SegmentCollector};

/// Collects the report ids of matching documents (from the fast field), without scoring.
pub(super) struct ReportIds;

pub(super) struct SegmentReportIds {
    ids: tantivy::columnar::Column<u64>,
    found: RoaringBitmap,
}

impl Collector for ReportIds {
    type Fruit = RoaringBitmap;
    type Child = SegmentReportIds;

    fn for_segment(
        &self,
        _segment: tantivy::SegmentOrdinal,
        reader: &tantivy::SegmentReader,
    ) -> tantivy::Result<SegmentReportIds> {
        Ok(SegmentReportIds {
            ids: reader.fast_fields().u64("report_id")?,
            found: RoaringBitmap::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<RoaringBitmap>) -> tantivy::Result<RoaringBitmap> {
        Ok(fruits
            .into_iter()
            .fold(RoaringBitmap::new(), |all, f| all | f))
    }
}

impl SegmentCollector for SegmentReportIds {
    type Fruit = RoaringBitmap;

    fn collect(&mut self, doc: tantivy::DocId, _score: tantivy::Score) {
        if let Some(id) = self.ids.first(doc) {
            self.found.insert(id as u32);
        }
    }

    fn harvest(self) -> RoaringBitmap {
        self.found
    }
}
