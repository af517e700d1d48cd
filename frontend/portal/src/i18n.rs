//! The portal's languages: Simplified Chinese by default, English second.
//!
//! Every fixed string of the portal is a [`Msg`] with its two texts in one
//! table, so a missing translation is a compile error rather than a key
//! shown to a user. Texts that plugins supply arrive already bilingual
//! (`{"zh": …, "en": …}` or `title_zh` / `title_en`) and are picked with
//! [`Locale::pick`].
//!
//! Dates and times are shown in China Standard Time (UTC+8, no daylight
//! saving), the Chinese way in Chinese (`2025年10月10日 17:30`, weekdays
//! 周一…周日) and ISO-like in English; numbers get thousands separators.

use leptos::prelude::*;

/// The cookie that remembers the chosen language.
pub const LANG_COOKIE: &str = "bantong_lang";

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Locale {
    #[default]
    Zh,
    En,
}

impl Locale {
    /// `zh-CN` or `en`, for `<html lang>` and the cookie.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::Zh => "zh-CN",
            Locale::En => "en",
        }
    }

    /// Parses a cookie value or `lang` attribute; anything but English is
    /// Chinese.
    pub fn from_tag(tag: &str) -> Locale {
        if tag.trim().to_ascii_lowercase().starts_with("en") {
            Locale::En
        } else {
            Locale::Zh
        }
    }

    /// The language a request asked for through the cookie.
    pub fn from_cookie_header(header: &str) -> Locale {
        header
            .split(';')
            .filter_map(|kv| kv.trim().split_once('='))
            .find(|(k, _)| *k == LANG_COOKIE)
            .map(|(_, v)| Locale::from_tag(v))
            .unwrap_or_default()
    }

    /// The other language, for the switch.
    pub fn other(self) -> Locale {
        match self {
            Locale::Zh => Locale::En,
            Locale::En => Locale::Zh,
        }
    }

    /// The text of `msg` in this locale.
    pub fn t(self, msg: Msg) -> &'static str {
        msg.text(self)
    }

    /// Picks one of a plugin's two texts.
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Locale::Zh => zh,
            Locale::En => en,
        }
    }

    /// Picks from a JSON object `{"zh": …, "en": …}` or from `{prefix}_zh` /
    /// `{prefix}_en` keys of `obj`; the other language when one is missing.
    pub fn pick_json(self, obj: &serde_json::Value, prefix: &str) -> String {
        let (zh, en) = if prefix.is_empty() {
            (obj.get("zh"), obj.get("en"))
        } else {
            (
                obj.get(format!("{prefix}_zh")),
                obj.get(format!("{prefix}_en")),
            )
        };
        let (first, second) = match self {
            Locale::Zh => (zh, en),
            Locale::En => (en, zh),
        };
        first
            .and_then(|v| v.as_str())
            .or_else(|| second.and_then(|v| v.as_str()))
            .unwrap_or_default()
            .to_owned()
    }
}

/// The current locale, provided by the app root.
pub fn locale() -> Locale {
    use_context::<Locale>().unwrap_or_default()
}

/// The text of `msg` in the current locale.
pub fn t(msg: Msg) -> &'static str {
    msg.text(locale())
}

macro_rules! catalogue {
    ($($key:ident => $zh:literal, $en:literal;)*) => {
        /// Every fixed text of the portal.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Msg { $($key),* }

        impl Msg {
            pub const ALL: &'static [Msg] = &[$(Msg::$key),*];

            pub fn text(self, locale: Locale) -> &'static str {
                match (self, locale) {
                    $((Msg::$key, Locale::Zh) => $zh, (Msg::$key, Locale::En) => $en,)*
                }
            }
        }
    };
}

catalogue! {
    AppName => "办通", "Bantong";
    AppSubtitle => "区政务服务中心一体化平台", "District government service platform";
    SkipToContent => "跳到正文", "Skip to content";
    Home => "首页", "Home";
    Username => "用户名", "Username";
    Password => "密码", "Password";
    LogIn => "登录", "Log in";
    LogOut => "退出登录", "Log out";
    LoginTitle => "登录办通", "Log in to Bantong";
    LoginHint => "请使用区政务中心分配的账号登录。", "Use the account the district centre gave you.";
    ErrInvalidCredentials => "用户名或密码错误。", "Wrong username or password.";
    ErrAccountLocked => "登录失败次数过多，账号已暂时锁定，请稍后再试。", "Too many failed attempts: the account is locked for a while. Try again later.";
    ErrAccountDisabled => "账号已停用，请联系管理员。", "The account is disabled. Contact an administrator.";
    ErrTooManyAttempts => "登录尝试过于频繁，请稍后再试。", "Too many login attempts. Try again later.";
    ErrSessionExpired => "长时间未操作，登录已超时，请重新登录。", "You were idle too long and have been logged out. Please log in again.";
    ErrLoggedOut => "已安全退出。", "You have logged out.";
    ErrGeneric => "操作失败，请稍后重试。", "Something went wrong. Please try again.";
    ErrFixFields => "有字段不符合要求，请按提示更正后再保存。", "Some fields are not valid: correct them as shown and save again.";
    ErrForbidden => "您没有权限查看此页面。", "You are not allowed to see this page.";
    ErrNotFound => "页面不存在。", "Page not found.";
    PasswordChanged => "密码已修改。", "Your password has been changed.";
    ChangePassword => "修改密码", "Change password";
    OldPassword => "原密码", "Current password";
    NewPassword => "新密码", "New password";
    MustChangePassword => "首次登录或密码被重置后，请先修改密码。", "Please change the password you were given before going on.";
    Save => "保存", "Save";
    Language => "语言", "Language";
    LanguageName => "中文", "English";
    SwitchLanguage => "English", "中文";
    Welcome => "欢迎", "Welcome";
    YourHalls => "所属服务中心", "Your halls";
    AllHalls => "全区", "Whole district";
    YourRoles => "角色", "Roles";
    Menu => "功能菜单", "Menu";
    Administration => "系统管理", "Administration";
    Halls => "服务中心", "Halls";
    Users => "用户", "Users";
    Plugins => "插件", "Plugins";
    EdgeAgents => "边缘节点", "Edge agents";
    AuditLog => "审计日志", "Audit log";
    Tokens => "API 令牌", "API tokens";
    Rollouts => "插件下发", "Rollouts";
    NewHall => "新增服务中心", "New hall";
    NewUser => "新增用户", "New user";
    NewToken => "新建 API 令牌", "New API token";
    NewRollout => "下发边缘插件", "Roll out an edge plugin";
    Calendar => "工作日历", "Working-day calendar";
    Catalogue => "事项库", "Service catalogue";
    CatalogueVersions => "事项库版本", "Catalogue versions";
    ImportCatalogue => "导入事项库（Excel）", "Import the catalogue (Excel)";
    ImportCatalogueHint => "先导出当前事项库作为模板，修改后再导入。任何一行有错，整个文件都不导入，并列出出错的工作表、行号和列。导入后即发布为新版本，各大厅自动更新。", "Export the current catalogue as a template, edit it, and import it. If any row is wrong nothing is imported, and every wrong sheet, row and column is listed. An import is published as a new version and reaches every hall.";
    ExportCatalogue => "导出事项库（Excel）", "Export the catalogue (Excel)";
    CatalogueFile => "Excel 工作簿（.xlsx）", "Excel workbook (.xlsx)";
    CataloguePublished => "已发布为新版本：", "Published as version ";
    CatalogueEmpty => "事项库尚未发布：请导入 Excel 工作簿。", "No catalogue has been published yet: import a workbook.";
    Actions => "操作", "Actions";
    NewCalendarYear => "录入年度放假安排", "Enter a year's arrangement";
    CalendarLink => "前往工作日历", "Open the working-day calendar";
    UploadEdgePlugin => "上传边缘插件包", "Upload an edge plugin package";
    UploadEdgeHint => "上传并校验签名后，可直接下发此版本。", "Once uploaded and its signature checked, the version can be rolled out from here.";
    Rollback => "回退到上一版本", "Roll back";
    AgentPlugins => "运行中的插件", "Plugins it runs";
    LastSeen => "最近联系", "Last seen";
    Error => "错误", "Error";
    ConfirmActivate => "将插件切换到 {version} 版本，确定？", "Make {version} the plugin's current version?";
    ConfirmRollback => "该节点将回退到上一版本并锁定，直到再次下发。确定回退？", "The agent goes back to the previous version, pinned until the next deployment. Roll back?";
    DesiredVersion => "应运行版本", "Desired version";
    Pinned => "已锁定", "Pinned";
    Pin => "锁定版本", "Pin";
    Unpin => "解除锁定", "Unpin";
    InvalidJson => "不是有效的 JSON，修改后才会保存。", "Not valid JSON; it is saved once it is.";
    RollOutThis => "下发此版本", "Roll out this version";
    ShownOnce => "以下内容只显示这一次，请立即复制保存：", "Shown this once only; copy it now:";
    Enabled => "已启用", "Enabled";
    Disabled => "已停用", "Disabled";
    Quarantined => "已隔离（连续故障）", "Quarantined (kept failing)";
    Enable => "启用", "Enable";
    Disable => "停用", "Disable";
    Config => "配置", "Configuration";
    Version => "版本", "Version";
    Versions => "已安装版本", "Installed versions";
    CurrentVersion => "当前版本", "Current";
    Activate => "切换到此版本", "Make current";
    InstalledAt => "安装时间", "Installed";
    InstalledBy => "安装人", "Installed by";
    PluginId => "插件标识", "Plugin id";
    Vendor => "开发商", "Vendor";
    Granted => "已授予的能力", "Granted capabilities";
    CallStats => "调用统计", "Call statistics";
    State => "状态", "State";
    InstallPlugin => "安装插件", "Install a plugin";
    PackageFile => "已签名的插件包（.btpkg）", "Signed plugin package (.btpkg)";
    InstallHint => "只接受受信任密钥签名的插件包；同一插件的新版本会替换旧版本。", "Only packages signed with a trusted key are accepted; a new version of an installed plugin replaces the old one.";
    Installed => "已安装", "Installed";
    HallConfig => "服务中心配置", "Hall configuration";
    DistrictConfig => "全区默认配置", "District configuration";
    NoConfig => "此插件没有可配置项。", "This plugin has nothing to configure.";
    ResolvedConfig => "生效配置（插件默认 → 全区 → 服务中心）", "Effective configuration (plugin defaults → district → hall)";
    Switch => "切换", "Switch";
    Dashboard => "指挥大屏", "Command dashboard";
    LiveOn => "实时更新中", "Live";
    LiveOff => "正在连接实时数据…", "Connecting to live data…";
    LatestAlerts => "最新告警", "Latest alerts";
    NoAlerts => "暂无告警。", "No alerts.";
    NoAgent => "未接入边缘节点", "No edge agent";
    Online => "在线", "Online";
    Offline => "离线", "Offline";
    WindowsBusy => "窗口在岗 {occupied}/{seats}，等候 {waiting} 人", "Windows staffed {occupied}/{seats}, {waiting} waiting";
    OpenAlerts => "未处理告警 {n} 条", "{n} open alerts";
    AlertUnattended => "窗口无人值守", "Window unattended";
    AlertCrowding => "等候区拥挤", "Waiting area crowded";
    DistrictToday => "全区今日", "The district today";
    NoModuleFigures => "报表中心模块未安装或暂不可用，仅显示大厅实时数据。", "The reports module is not installed or not answering: hall live data only.";
    ModuleAbsent => "“{name}”模块未安装", "The “{name}” module is not installed";
    ModuleFailed => "“{name}”模块数据读取失败", "The “{name}” module could not be read";
    TicketsServedToday => "今日办结", "Served today";
    TicketsIssued => "取号 {n} 人", "{n} tickets issued";
    TicketsWaiting => "正在等候", "Waiting now";
    AverageWait => "平均等候 {t}", "Mean wait {t}";
    RatingsToday => "今日评价", "Ratings today";
    RatingsTodayShort => "今日评价", "Rated today";
    GoodRateMonth => "本月好评率", "Good this month";
    HotlineCallsToday => "热线今日来电", "Hotline calls today";
    HotlineShort => "热线", "Hotline";
    OpenOrders => "在办工单 {n} 件", "{n} orders open";
    CallsAndOrders => "来电 {calls} · 在办 {orders}", "{calls} calls · {orders} open";
    OpenProblems => "在改问题", "Problems open";
    ProblemsShort => "问题", "Problems";
    OpenAndOverdue => "在改 {open} · 逾期 {overdue}", "{open} open · {overdue} overdue";
    OverdueRectification => "逾期未整改 {n} 个", "{n} overdue";
    MonthScore => "本月平均得分", "Mean score this month";
    MonthRank => "本月排名", "Rank this month";
    RankN => "第{n}名", "No. {n}";
    BadN => "差评 {n}", "{n} bad";
    HallTickets => "今日办结 {served} · 等候 {waiting} · 平均等候 {wait}", "{served} served · {waiting} waiting · mean wait {wait}";
    MonthRanking => "本月得分排名", "This month's ranking";
    NoScoresYet => "本月尚无检查得分。", "No inspection scores this month yet.";
    ServedByHall => "今日各中心办结量", "Served today by hall";
    AlertBadRating => "差评", "Bad rating";
    PdfPreview => "PDF 预览", "PDF preview";
    NoViews => "暂无可用功能。", "Nothing is available to you yet.";
    Today => "今日待办", "To do today";
    NothingToday => "暂无待办事项。", "Nothing waits for you.";
    YourModules => "业务功能", "Your modules";
    Filter => "筛选", "Filter";
    Reset => "重置", "Reset";
    All => "全部", "All";
    Previous => "上一页", "Previous";
    Next => "下一页", "Next";
    PageOf => "第 {page} / {pages} 页，共 {total} 条", "Page {page} of {pages}, {total} in all";
    PageN => "第 {page} 页", "Page {page}";
    NoRecords => "没有记录。", "No records.";
    BoardTruncated => "仅显示最近的 {shown} 条，共 {total} 条。", "Showing the latest {shown} of {total}.";
    SortAscending => "升序", "ascending";
    SortDescending => "降序", "descending";
    Yes => "是", "Yes";
    Photo => "照片", "Photo";
    OpenFile => "查看文件", "Open the file";
    OpenLink => "打开", "Open";
    QrCode => "二维码", "QR code";
    Choose => "请选择", "Choose…";
    Show => "查看", "Show";
    OnePerLine => "每行一项。", "One per line.";
    Submit => "提交", "Submit";
    Saved => "已提交。", "Submitted.";
    Done => "操作成功。", "Done.";
    RequiredNote => "带 * 的为必填项。", "Fields marked * are required.";
    No => "否", "No";
    Loading => "加载中…", "Loading…";
    Back => "返回", "Back";
    Details => "详情", "Details";
    History => "历史记录", "History";
    Unsupported => "此类视图暂不支持显示。", "This kind of view cannot be shown yet.";
    FieldAppExplained => "现场检查在手机上使用：可添加到主屏幕，没有网络时记录和照片保存在本机，网络恢复后自动上传，不会重复提交。", "Field checks run on a phone: add the page to the home screen; without a network the answers and photos stay on the device and are sent once when it is back.";
    FieldAppOpen => "打开现场检查", "Open the field app";
    ExamStart => "开始答题", "Start";
    ExamContinue => "继续答题", "Continue";
    ExamName => "考试", "Exam";
    ExamTime => "时长", "Time allowed";
    ExamMinutes => "{n} 分钟", "{n} minutes";
    ExamSize => "题数 / 总分", "Questions / marks";
    ExamPassMark => "合格线", "Pass mark";
    ExamRule => "计分规则", "Marking";
    ExamStatus => "状态", "Status";
    ExamHowItWorks => "答案逐题自动保存；网络中断时答案暂存本机，恢复后自动提交。计时以服务器为准，离开答题页面会被记录。", "Each answer is saved as you give it; without a network answers wait on this phone and are sent when it is back. The server keeps the time; leaving the page is recorded.";
    ExamPassed => "合格", "Passed";
    ExamFailed => "不合格", "Not passed";
    ExamAwaitingMarks => "简答题待阅卷，出分后可在“我的成绩”中查看", "Short answers are being marked; see My results later";
    ExamTimedOut => "考试时间已到，已自动交卷", "Time is up: handed in";
    ExamHandedIn => "已交卷", "Handed in";
    ExamOutOf => "/ {n} 分", "/ {n} marks";
    ExamOf100 => "百分制：{n}", "Of 100: {n}";
    ExamOffline => "网络已断开：答案暂存在本机，恢复后自动提交", "Offline: answers are kept on this phone and sent when the network is back";
    ExamSaving => "正在保存{n}题…", "Saving {n} …";
    ExamSaved => "答案已保存", "All answers saved";
    ExamQuestionN => "第{n}题", "Question {n}";
    ExamLeft => "剩余 {n}", "Left {n}";
    ExamPrevious => "上一题", "Previous";
    ExamNext => "下一题", "Next";
    ExamCard => "答题卡", "Answer card";
    ExamHandIn => "交卷", "Hand in";
    ExamMarks => "{n}分", "{n} marks";
    ExamTrue => "正确", "True";
    ExamFalse => "错误", "False";
    ExamBlankN => "第{n}空", "Blank {n}";
    ExamUnanswered => "还有{n}题未作答，确定交卷吗？", "{n} questions are unanswered. Hand in?";
    ExamConfirm => "确定交卷吗？", "Hand in?";
    ExamNotSent => "网络未恢复，答案尚未全部提交，请稍后再交卷。", "Some answers are not sent yet; hand in when the network is back.";
    RoleDistrictAdmin => "区级管理员", "District administrator";
    RoleHotlineAgent => "热线坐席", "Hotline agent";
    RoleHallManager => "服务中心负责人", "Hall manager";
    RoleWindowStaff => "综合窗口人员", "Window staff";
    RoleDoorService => "上门办人员", "Door-to-door service";
    RoleInspector => "督查人员", "Inspector";
    RoleHrOfficer => "人事培训专员", "HR and training officer";
    RoleLeader => "领导", "Leader";
    RoleVendor => "开发商", "Vendor";
}

impl Msg {
    /// The role's name, or `None` for a role the portal does not know.
    pub fn role(role: &str) -> Option<Msg> {
        Some(match role {
            "district-admin" => Msg::RoleDistrictAdmin,
            "hotline-agent" => Msg::RoleHotlineAgent,
            "hall-manager" => Msg::RoleHallManager,
            "window-staff" => Msg::RoleWindowStaff,
            "door-service" => Msg::RoleDoorService,
            "inspector" => Msg::RoleInspector,
            "hr-officer" => Msg::RoleHrOfficer,
            "leader" => Msg::RoleLeader,
            "vendor" => Msg::RoleVendor,
            _ => return None,
        })
    }

    /// The message for an error code of the host's API.
    pub fn for_error(code: &str) -> Msg {
        match code {
            "invalid_credentials" => Msg::ErrInvalidCredentials,
            "account_locked" => Msg::ErrAccountLocked,
            "account_disabled" => Msg::ErrAccountDisabled,
            "too_many_attempts" => Msg::ErrTooManyAttempts,
            "session_expired" => Msg::ErrSessionExpired,
            "logged_out" => Msg::ErrLoggedOut,
            "forbidden" => Msg::ErrForbidden,
            "not_found" => Msg::ErrNotFound,
            "password_changed" => Msg::PasswordChanged,
            "config_invalid" | "validation_failed" | "invalid" => Msg::ErrFixFields,
            _ => Msg::ErrGeneric,
        }
    }
}

/// Replaces `{name}` placeholders.
pub fn fill(template: &str, args: &[(&str, String)]) -> String {
    let mut out = template.to_owned();
    for (name, value) in args {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

/// China Standard Time, in milliseconds.
const CST_OFFSET_MS: i64 = 8 * 3_600_000;

/// Civil date from days since 1970-01-01 (proleptic Gregorian).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// A moment (ms since the epoch) as a date and time in China Standard Time.
pub fn format_datetime(ms: i64, locale: Locale) -> String {
    let local = ms + CST_OFFSET_MS;
    let days = local.div_euclid(86_400_000);
    let in_day = local.rem_euclid(86_400_000) / 60_000;
    let (y, m, d) = civil_from_days(days);
    let (hh, mm) = (in_day / 60, in_day % 60);
    match locale {
        Locale::Zh => format!("{y}年{m}月{d}日 {hh:02}:{mm:02}"),
        Locale::En => format!("{y}-{m:02}-{d:02} {hh:02}:{mm:02}"),
    }
}

/// A moment's date with its weekday, in China Standard Time.
pub fn format_date(ms: i64, locale: Locale) -> String {
    let local = ms + CST_OFFSET_MS;
    let days = local.div_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    // 1970-01-01 was a Thursday.
    let weekday = (days + 3).rem_euclid(7) as usize;
    match locale {
        Locale::Zh => {
            const NAMES: [&str; 7] = ["一", "二", "三", "四", "五", "六", "日"];
            format!("{y}年{m}月{d}日（周{}）", NAMES[weekday])
        }
        Locale::En => {
            const NAMES: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
            format!("{} {y}-{m:02}-{d:02}", NAMES[weekday])
        }
    }
}

/// A number with thousands separators and at most two decimals.
pub fn format_number(n: f64) -> String {
    if !n.is_finite() {
        return "—".to_owned();
    }
    let rounded = (n * 100.0).round() / 100.0;
    let negative = rounded < 0.0;
    let abs = rounded.abs();
    let int = abs.trunc() as u64;
    let frac = ((abs - abs.trunc()) * 100.0).round() as u64;
    let digits = int.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let mut out = if negative {
        format!("-{grouped}")
    } else {
        grouped
    };
    if frac > 0 {
        let f = format!("{frac:02}");
        out.push('.');
        out.push_str(f.trim_end_matches('0'));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_has_both_languages() {
        for m in Msg::ALL {
            for l in [Locale::Zh, Locale::En] {
                assert!(!m.text(l).trim().is_empty(), "{m:?} {l:?}");
            }
            assert_ne!(m.text(Locale::Zh), m.text(Locale::En), "{m:?} untranslated");
        }
    }

    #[test]
    fn chinese_is_the_default() {
        assert_eq!(Locale::default(), Locale::Zh);
        assert_eq!(Locale::from_cookie_header(""), Locale::Zh);
        assert_eq!(
            Locale::from_cookie_header("a=b; bantong_lang=en; c=d"),
            Locale::En
        );
        assert_eq!(Locale::from_cookie_header("bantong_lang=fr"), Locale::Zh);
    }

    #[test]
    fn dates_in_china_standard_time() {
        // 2025-10-10T09:30:00Z is 17:30 in Beijing, a Friday.
        let ms = 1_760_088_600_000;
        assert_eq!(format_datetime(ms, Locale::Zh), "2025年10月10日 17:30");
        assert_eq!(format_datetime(ms, Locale::En), "2025-10-10 17:30");
        assert_eq!(format_date(ms, Locale::Zh), "2025年10月10日（周五）");
        assert_eq!(format_date(ms, Locale::En), "Fri 2025-10-10");
        // 16:30 UTC on 31 Dec is already 1 Jan in Beijing.
        assert_eq!(
            format_datetime(1_767_198_600_000, Locale::En),
            "2026-01-01 00:30"
        );
    }

    #[test]
    fn numbers_are_grouped() {
        assert_eq!(format_number(0.0), "0");
        assert_eq!(format_number(1234567.0), "1,234,567");
        assert_eq!(format_number(-1234.5), "-1,234.5");
        assert_eq!(format_number(66.666), "66.67");
        assert_eq!(format_number(f64::NAN), "—");
    }

    #[test]
    fn plugin_texts_fall_back() {
        let v = serde_json::json!({"title_zh": "工单", "title_en": "Orders", "only_zh": "仅中文"});
        assert_eq!(Locale::En.pick_json(&v, "title"), "Orders");
        assert_eq!(Locale::Zh.pick_json(&v, "title"), "工单");
        assert_eq!(Locale::En.pick_json(&v, "only"), "仅中文");
        let t = serde_json::json!({"zh": "来访", "en": "Visits"});
        assert_eq!(Locale::Zh.pick_json(&t, ""), "来访");
    }
}
