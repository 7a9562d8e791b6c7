// The domain module has no types yet; its tests arrive with the directory and life-cycle issues.
import Agora
