//! The district itself: 莲池区 of 保定市 (Hebei), administrative division
//! code 130606, and its 17 street and township service halls (乡镇和街道行政
//! 综合服务中心) — ten subdistricts (街道), one town (镇) and six townships
//! (乡). The four pilots the district plan names (百楼镇, 东金庄乡, 五四路街道,
//! 五尧乡, far from the district centre) are 示范型 halls; the grade of the
//! others is the district's to set (标准型 until it does).

/// The district's administrative division code (GB/T 2260), the first six
/// digits of the ID numbers it issues.
pub const DISTRICT_CODE: &str = "130606";

/// The district's name.
pub const DISTRICT_NAME_ZH: &str = "保定市莲池区";
/// The district's name in English.
pub const DISTRICT_NAME_EN: &str = "Lianchi District, Baoding";

/// A hall's grade (示范型 ≥ 200 m², 标准型 ≥ 100 m², 简朴型 ≥ 50 m²).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grade {
    /// 示范型.
    Demonstration,
    /// 标准型.
    Standard,
    /// 简朴型.
    Basic,
}

/// One street or township hall.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hall {
    /// Stable id (pinyin of the street or township).
    pub id: &'static str,
    /// Short code for forms and exports.
    pub code: &'static str,
    /// The street or township (e.g. 百楼镇).
    pub area_zh: &'static str,
    /// Its name in English.
    pub area_en: &'static str,
    /// Its grade.
    pub grade: Grade,
}

impl Hall {
    /// The hall's name, e.g. 百楼镇行政综合服务中心.
    pub fn name_zh(&self) -> String {
        format!("{}行政综合服务中心", self.area_zh)
    }

    /// The hall's name in English, e.g. "Bailou Town Service Hall".
    pub fn name_en(&self) -> String {
        format!("{} Service Hall", self.area_en)
    }

    /// A pilot (示范型) hall.
    pub fn is_pilot(&self) -> bool {
        self.grade == Grade::Demonstration
    }
}

const fn hall(
    id: &'static str,
    code: &'static str,
    area_zh: &'static str,
    area_en: &'static str,
    grade: Grade,
) -> Hall {
    Hall {
        id,
        code,
        area_zh,
        area_en,
        grade,
    }
}

/// The 17 halls: the four pilots first, then the subdistricts and the
/// townships.
pub const HALLS: [Hall; 17] = [
    hall(
        "bailou",
        "BL01",
        "百楼镇",
        "Bailou Town",
        Grade::Demonstration,
    ),
    hall(
        "dongjinzhuang",
        "DJZ01",
        "东金庄乡",
        "Dongjinzhuang Township",
        Grade::Demonstration,
    ),
    hall(
        "wusilu",
        "WSL01",
        "五四路街道",
        "Wusilu Subdistrict",
        Grade::Demonstration,
    ),
    hall(
        "wuyao",
        "WY01",
        "五尧乡",
        "Wuyao Township",
        Grade::Demonstration,
    ),
    hall(
        "hepingli",
        "HPL01",
        "和平里街道",
        "Hepingli Subdistrict",
        Grade::Standard,
    ),
    hall(
        "xiguan",
        "XG01",
        "西关街道",
        "Xiguan Subdistrict",
        Grade::Standard,
    ),
    hall(
        "zhonghualu",
        "ZHL01",
        "中华路街道",
        "Zhonghualu Subdistrict",
        Grade::Standard,
    ),
    hall(
        "dongguan",
        "DG01",
        "东关街道",
        "Dongguan Subdistrict",
        Grade::Standard,
    ),
    hall(
        "lianmeng",
        "LM01",
        "联盟街道",
        "Lianmeng Subdistrict",
        Grade::Standard,
    ),
    hall(
        "hongxing",
        "HX01",
        "红星街道",
        "Hongxing Subdistrict",
        Grade::Standard,
    ),
    hall(
        "yuhua",
        "YH01",
        "裕华街道",
        "Yuhua Subdistrict",
        Grade::Standard,
    ),
    hall(
        "yonghua",
        "YHA01",
        "永华街道",
        "Yonghua Subdistrict",
        Grade::Standard,
    ),
    hall(
        "nanguan",
        "NG01",
        "南关街道",
        "Nanguan Subdistrict",
        Grade::Standard,
    ),
    hall(
        "hanzhuang",
        "HZ01",
        "韩庄乡",
        "Hanzhuang Township",
        Grade::Standard,
    ),
    hall(
        "yangzhuang",
        "YZ01",
        "杨庄乡",
        "Yangzhuang Township",
        Grade::Standard,
    ),
    hall(
        "nandayuan",
        "NDY01",
        "南大园乡",
        "Nandayuan Township",
        Grade::Standard,
    ),
    hall(
        "jiaozhuang",
        "JZ01",
        "焦庄乡",
        "Jiaozhuang Township",
        Grade::Standard,
    ),
];

/// A hall by id.
pub fn hall_by_id(id: &str) -> Option<&'static Hall> {
    HALLS.iter().find(|h| h.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seventeen_distinct_halls_four_pilots() {
        assert_eq!(HALLS.len(), 17);
        for (i, h) in HALLS.iter().enumerate() {
            assert!(
                HALLS[..i]
                    .iter()
                    .all(|o| o.id != h.id && o.code != h.code && o.area_zh != h.area_zh)
            );
        }
        let pilots: Vec<&str> = HALLS
            .iter()
            .filter(|h| h.is_pilot())
            .map(|h| h.area_zh)
            .collect();
        assert_eq!(pilots, ["百楼镇", "东金庄乡", "五四路街道", "五尧乡"]);
        assert_eq!(
            hall_by_id("bailou").map(|h| h.name_zh()).as_deref(),
            Some("百楼镇行政综合服务中心")
        );
        assert_eq!(
            HALLS.iter().filter(|h| h.area_zh.ends_with("街道")).count(),
            10
        );
    }
}
