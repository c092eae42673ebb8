/** The 3D view's words in English and Vietnamese (i18n.ts has the spin's): in the 3D chunk, off the spin path. */
import type { ModelStrings, ViewerLanguage } from './i18n.js';

const MODEL_STRINGS: Record<ViewerLanguage, ModelStrings> = {
  en: {
    modelRole: '3D model',
    modelLabel: '3D product model',
    modelHelp: 'Drag or use the arrow keys to turn; scroll, pinch or + and − to zoom; Home to reset.',
    modelError: 'The 3D model could not be shown.',
    arButton: 'View in your room',
    arLabel: 'View {0} in your room (augmented reality)',
    arProduct: 'the product',
    arClose: 'Close',
    arPlace: 'Point at the floor, then tap to place',
    arMove: 'Tap to move it',
  },
  vi: {
    modelRole: 'mô hình 3D',
    modelLabel: 'Mô hình 3D của sản phẩm',
    modelHelp: 'Kéo hoặc dùng các phím mũi tên để xoay; cuộn, chụm hai ngón hoặc phím + và − để phóng to, thu nhỏ; phím Home để về ban đầu.',
    modelError: 'Không hiển thị được mô hình 3D.',
    arButton: 'Xem trong phòng của bạn',
    arLabel: 'Xem {0} trong phòng của bạn (thực tế tăng cường)',
    arProduct: 'sản phẩm',
    arClose: 'Đóng',
    arPlace: 'Hướng máy xuống sàn, rồi chạm để đặt',
    arMove: 'Chạm để dời chỗ',
  },
};

/** The 3D view's strings of a language, with `overrides` (any keys; those of ModelStrings count) over them. */
export const modelStringsOf = (lang: ViewerLanguage, overrides: Partial<ModelStrings> = {}): ModelStrings => ({ ...MODEL_STRINGS[lang], ...overrides });
